package dev.tether.cli.session;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.policy.LoadResult;
import dev.tether.policy.NetworkRules;
import dev.tether.policy.PolicyLoader;
import dev.tether.policy.PolicySnapshot;
import dev.tether.policy.Principal;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.Type;

/**
 * Latency the session's DNS forwarder adds per query: sequential A queries on loopback to a test
 * DNS server, directly and through {@link SessionDns} (parse, forward, parse, pin with the rules a
 * real compiled policy gives for the name; the kernel map update itself is replaced by a no-op).
 * Run: {@code ./mvnw -B -o -pl tether-cli -am test -Dtether.bench.dns=true -Dtest=SessionDnsBench
 * -Dsurefire.failIfNoSpecifiedTests=false}.
 */
@EnabledIfSystemProperty(named = "tether.bench.dns", matches = "true")
class SessionDnsBench {
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
    private static final int WARMUP = 3000;
    private static final int MEASURED = 5000;
    private static final int ROUNDS = 5;

    private static PolicySnapshot policy() {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < 50; i++) {
            b.append("permit (principal, action == Action::\"NetworkConnect\", resource in Host::\"h").append(i)
                    .append(".example.com:443\");\n");
        }
        b.append("permit (principal, action == Action::\"NetworkConnect\", resource in Host::\"*.bench.test\");\n");
        b.append("forbid (principal, action == Action::\"NetworkConnect\", resource in Net::\"169.254.0.0/16\");\n");
        LoadResult r = PolicyLoader.parse(b.toString(), "bench.cedar");
        assertThat(r).isInstanceOf(LoadResult.Loaded.class);
        return ((LoadResult.Loaded) r).snapshot();
    }

    private static long[] run(DatagramSocket client, InetSocketAddress to, int n, byte[][] queries) throws Exception {
        long[] t = new long[n];
        byte[] buf = new byte[1024];
        for (int i = 0; i < n; i++) {
            byte[] q = queries[i % queries.length];
            long start = System.nanoTime();
            client.send(new DatagramPacket(q, q.length, to));
            client.receive(new DatagramPacket(buf, buf.length));
            t[i] = System.nanoTime() - start;
        }
        Arrays.sort(t);
        return t;
    }

    @Test
    void forwarderOverheadPerQuery() throws Exception {
        PolicySnapshot snapshot = policy();
        Principal who = new Principal("bench", "s1");
        DnsPins.Target noop = new DnsPins.Target() {
            @Override
            public boolean pin(InetAddress address, List<NetworkRules.Rule> rules, java.util.Set<String> names) {
                return true;
            }

            @Override
            public void unpin(InetAddress address) {
            }
        };
        DnsPins pins = new DnsPins(noop, () -> (name, address) -> snapshot.networkRules(who, name, address));
        byte[][] queries = new byte[64][];
        int fresh = WARMUP + ROUNDS * MEASURED;
        byte[][] freshQueries = new byte[fresh][];
        try (TestDnsServer upstream = TestDnsServer.start(LOOPBACK);
             SessionDns dns = SessionDns.start(List.of(LOOPBACK), upstream.address(), pins, new PrintWriter(new StringWriter()));
             DatagramSocket client = new DatagramSocket()) {
            client.setSoTimeout(5000);
            for (int i = 0; i < queries.length; i++) {
                String name = "host" + i + ".bench.test";
                upstream.name(name, "192.0.2." + (i + 1));
                queries[i] = Message.newQuery(Record.newRecord(Name.fromString(name + "."), Type.A, DClass.IN)).toWire();
            }
            for (int i = 0; i < fresh; i++) {
                String name = "n" + i + ".fresh.bench.test";
                upstream.name(name, "198.18." + (i >> 8 & 0xff) + "." + (i & 0xff));
                freshQueries[i] = Message.newQuery(Record.newRecord(Name.fromString(name + "."), Type.A, DClass.IN)).toWire();
            }
            InetSocketAddress direct = upstream.address();
            InetSocketAddress forwarded = new InetSocketAddress(LOOPBACK, dns.port());
            run(client, direct, WARMUP, queries);
            run(client, forwarded, WARMUP, queries);
            run(client, forwarded, WARMUP, Arrays.copyOfRange(freshQueries, 0, WARMUP));
            List<long[]> d = new ArrayList<>();
            List<long[]> f = new ArrayList<>();
            List<long[]> n = new ArrayList<>();
            for (int r = 0; r < ROUNDS; r++) {
                d.add(run(client, direct, MEASURED, queries));
                f.add(run(client, forwarded, MEASURED, queries));
                int from = WARMUP + r * MEASURED;
                n.add(run(client, forwarded, MEASURED, Arrays.copyOfRange(freshQueries, from, from + MEASURED)));
            }
            StringBuilder out = new StringBuilder("SessionDnsBench (" + ROUNDS + " x " + MEASURED + " sequential A queries, loopback)\n");
            out.append(String.format("%-10s %10s %10s %10s%n", "", "p50 µs", "p99 µs", "mean µs"));
            double[] direct3 = stats(d);
            double[] fwd3 = stats(f);
            out.append(String.format("%-10s %10.1f %10.1f %10.1f%n", "direct", direct3[0], direct3[1], direct3[2]));
            double[] new3 = stats(n);
            out.append(String.format("%-10s %10.1f %10.1f %10.1f%n", "fwd-repeat", fwd3[0], fwd3[1], fwd3[2]));
            out.append(String.format("%-10s %10.1f %10.1f %10.1f%n", "fwd-fresh", new3[0], new3[1], new3[2]));
            out.append(String.format("repeated names: added p50 %.1f µs, ratio p50 %.2f; fresh names (rules computed, pin written):"
                            + " added p50 %.1f µs, ratio p50 %.2f; live pins %d%n",
                    fwd3[0] - direct3[0], fwd3[0] / direct3[0], new3[0] - direct3[0], new3[0] / direct3[0], pins.size()));
            System.out.print(out);
            java.nio.file.Files.writeString(java.nio.file.Path.of("target/dns-benchmark.txt"), out);
            assertThat(dns.stats().servfail()).isZero();
        }
    }

    /** Median over rounds of each round's p50, p99, mean (µs). */
    private static double[] stats(List<long[]> rounds) {
        double[] p50 = new double[rounds.size()];
        double[] p99 = new double[rounds.size()];
        double[] mean = new double[rounds.size()];
        for (int i = 0; i < rounds.size(); i++) {
            long[] t = rounds.get(i);
            p50[i] = t[t.length / 2] / 1000.0;
            p99[i] = t[(int) (t.length * 0.99)] / 1000.0;
            mean[i] = Arrays.stream(t).average().orElse(0) / 1000.0;
        }
        return new double[] {median(p50), median(p99), median(mean)};
    }

    private static double median(double[] v) {
        double[] c = v.clone();
        Arrays.sort(c);
        return c[c.length / 2];
    }
}
