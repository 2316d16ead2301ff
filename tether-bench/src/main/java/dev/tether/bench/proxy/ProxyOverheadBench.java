package dev.tether.bench.proxy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tether.proxy.ProxyConfig;
import dev.tether.proxy.TetherProxy;
import dev.tether.proxy.ca.CertificateAuthority;
import dev.tether.proxy.decide.HeaderRewrite;
import dev.tether.proxy.decide.ProxyDecisions;
import dev.tether.proxy.decide.Verdict;
import dev.tether.proxy.event.ProxyEventSink;
import dev.tether.proxy.secret.SecretRedactor;
import dev.tether.proxy.secret.SecretResolver;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * Direct vs through tether's proxy, in the same run: added p50/p99 per keep-alive request (HTTP
 * and HTTPS via CONNECT + MITM), requests/s per core of proxy CPU, and the first TLS handshake to
 * a new host (policy, upstream connect + TLS, leaf minting, sandbox-side TLS). Run with
 * {@code bench/proxy/run.sh}.
 */
public final class ProxyOverheadBench {
    /** Allows hosts under .bench: the decision is a suffix check, so the figures are the proxy's own cost. */
    static final class BenchDecisions implements ProxyDecisions {
        @Override
        public Verdict connect(String hostname, InetAddress address, int port) {
            return hostname != null && hostname.endsWith(".bench") ? ALLOW : Verdict.deny("not a bench host");
        }

        @Override
        public Verdict mcpCall(String server, String tool, JsonNode arguments) {
            return Verdict.deny("no MCP in this benchmark");
        }

        @Override
        public List<HeaderRewrite> headerRewrites(String hostname, int port) {
            return List.of();
        }

        private static final Verdict ALLOW = Verdict.allow("permit bench", "bench");
    }

    public static void main(String[] args) throws Exception {
        int latencyRequests = intArg(args, "--requests", 20_000);
        int seconds = intArg(args, "--seconds", 5);
        int connections = intArg(args, "--connections", 4);
        int handshakes = intArg(args, "--handshakes", 300);

        Path dir = Files.createTempDirectory("tether-proxy-bench");
        CertificateAuthority tetherCa = CertificateAuthority.openOrCreate(dir.resolve("tether-ca"));
        CertificateAuthority publicCa = CertificateAuthority.openOrCreate(dir.resolve("public-ca"));
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        try (BenchOrigin http = new BenchOrigin(null, List.of());
                BenchOrigin https = new BenchOrigin(publicCa, List.of("origin.bench", "*.x.bench"))) {
            Set<Long> before = threadIds(mx);
            ProxyConfig cfg = ProxyConfig.explicitOnLoopback(0)
                    .withResolver((h, p) -> new InetSocketAddress("127.0.0.1", p))
                    .withUpstreamTrust(List.of(publicCa.certificate()))
                    .withTimeouts(Duration.ofSeconds(5), Duration.ofSeconds(30))
                    .withIoThreads(1);
            LongAdder events = new LongAdder();
            ProxyEventSink sink = e -> events.increment();
            try (TetherProxy proxy = TetherProxy.start(cfg, tetherCa, new BenchDecisions(), sink,
                    new SecretResolver(Map.of(), Map.of(), new SecretRedactor()))) {
                int pp = proxy.explicitAddress().getPort();
                SSLContext trustPublic = trusting(publicCa);
                SSLContext trustTether = trusting(tetherCa);
                try (var warm = KeepAliveClient.plainViaProxy(pp, "origin.bench", http.port())) {
                    warm.get();
                }
                Set<Long> proxyThreads = new HashSet<>(threadIds(mx));
                proxyThreads.removeAll(before);
                proxyThreads.removeIf(id -> {
                    var info = mx.getThreadInfo(id);
                    return info == null || !info.getThreadName().toLowerCase().contains("eventloop");
                });

                System.out.printf("# tether proxy overhead (JDK %s, %d cores, proxy on 1 event-loop thread, load average at start: %s)%n%n",
                        Runtime.version(), Runtime.getRuntime().availableProcessors(), loadAverage());

                // ---- latency: alternate blocks so drift hits both sides alike
                Client directHttp = () -> KeepAliveClient.plainDirect(http.port());
                Client proxyHttp = () -> KeepAliveClient.plainViaProxy(pp, "origin.bench", http.port());
                Client directHttps = () -> KeepAliveClient.tlsDirect(trustPublic, "origin.bench", https.port());
                Client proxyHttps = () -> KeepAliveClient.tlsViaProxy(trustTether, pp, "origin.bench", https.port());
                System.out.println("| keep-alive request, 1 connection | direct p50 | proxy p50 | added p50 | direct p99 | proxy p99 | added p99 |");
                System.out.println("| --- | --- | --- | --- | --- | --- | --- |");
                latencyRow("HTTP/1.1", directHttp, proxyHttp, latencyRequests);
                latencyRow("HTTPS (CONNECT + MITM)", directHttps, proxyHttps, latencyRequests);

                // ---- throughput
                System.out.println();
                System.out.println("| " + connections + " keep-alive connections, " + seconds
                        + " s | direct req/s | proxy req/s | proxy CPU (cores) | proxy req/s per core |");
                System.out.println("| --- | --- | --- | --- | --- |");
                throughputRow("HTTP/1.1", directHttp, proxyHttp, connections, seconds, mx, proxyThreads);
                throughputRow("HTTPS (CONNECT + MITM)", directHttps, proxyHttps, connections, seconds, mx, proxyThreads);

                // ---- first TLS handshake to a new host
                System.out.println();
                long[] direct = new long[handshakes];
                long[] proxied = new long[handshakes];
                long run = System.nanoTime();
                for (int i = 0; i < 50; i++) { // warm-up on throw-away hosts
                    try (var c = KeepAliveClient.tlsViaProxy(trustTether, pp, "warm" + i + "-" + run + ".x.bench", https.port())) {
                        c.get();
                    }
                }
                for (int i = 0; i < handshakes; i++) {
                    String host = "h" + i + "-" + run + ".x.bench";
                    long t0 = System.nanoTime();
                    try (var c = KeepAliveClient.tlsDirect(trustPublic, host, https.port())) {
                        direct[i] = System.nanoTime() - t0;
                    }
                    long t1 = System.nanoTime();
                    try (var c = KeepAliveClient.tlsViaProxy(trustTether, pp, host, https.port())) {
                        proxied[i] = System.nanoTime() - t1;
                    }
                }
                Arrays.sort(direct);
                Arrays.sort(proxied);
                System.out.println("| first TLS handshake to a new host (" + handshakes + " hosts) | p50 | p99 |");
                System.out.println("| --- | --- | --- |");
                System.out.printf("| direct (TCP connect + TLS) | %s | %s |%n", ms(pct(direct, 50)), ms(pct(direct, 99)));
                System.out.printf("| through proxy (CONNECT, policy, upstream TCP+TLS, leaf minting, TLS) | %s | %s |%n",
                        ms(pct(proxied, 50)), ms(pct(proxied, 99)));
                curlHandshakes(Math.min(handshakes, 200), pp, https.port(), tetherCa, publicCa, run);
                System.out.printf("%nload average at end: %s%n", loadAverage());
                System.out.printf("TLS provider: %s; events emitted: %d%n",
                        io.netty.handler.ssl.OpenSsl.isAvailable() ? "BoringSSL (netty-tcnative)" : "JDK", events.sum());
            }
        }
    }

    /**
     * The same first-handshake measurement with curl (OpenSSL) as the client, read from curl's own
     * timer ({@code time_appconnect}: start to TLS done, so process start-up is excluded).
     */
    static void curlHandshakes(int n, int proxyPort, int originPort, CertificateAuthority tetherCa, CertificateAuthority publicCa,
            long run) throws Exception {
        long[] direct = new long[n];
        long[] proxied = new long[n];
        for (int i = 0; i < n; i++) {
            String host = "c" + i + "-" + run + ".x.bench";
            String url = "https://" + host + ":" + originPort + "/x";
            direct[i] = curlAppConnect(List.of("--resolve", host + ":" + originPort + ":127.0.0.1", "--cacert",
                    publicCa.certificatePath().toString(), url));
            proxied[i] = curlAppConnect(List.of("--proxy", "http://127.0.0.1:" + proxyPort, "--cacert",
                    tetherCa.certificatePath().toString(), url));
        }
        Arrays.sort(direct);
        Arrays.sort(proxied);
        System.out.printf("| curl, direct (TCP connect + TLS) | %s | %s |%n", ms(pct(direct, 50)), ms(pct(direct, 99)));
        System.out.printf("| curl, through proxy (CONNECT, policy, upstream TCP+TLS, leaf minting, TLS) | %s | %s |%n",
                ms(pct(proxied, 50)), ms(pct(proxied, 99)));
        System.out.printf("| **added by the proxy (p50)** | **%s** | |%n", ms(pct(proxied, 50) - pct(direct, 50)));
    }

    static long curlAppConnect(List<String> args) throws Exception {
        List<String> argv = new ArrayList<>(List.of("curl", "-sS", "-o", "/dev/null", "--max-time", "10", "-w", "%{time_appconnect}"));
        argv.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(argv);
        for (String k : List.of("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "CURL_CA_BUNDLE", "SSL_CERT_FILE")) pb.environment().remove(k);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes()).strip();
        if (p.waitFor() != 0) throw new IllegalStateException("curl failed: " + new String(p.getErrorStream().readAllBytes()));
        return (long) (Double.parseDouble(out) * 1e9);
    }

    interface Client {
        KeepAliveClient open() throws Exception;
    }

    static void latencyRow(String label, Client direct, Client proxy, int n) throws Exception {
        int block = 1000;
        long[] d = new long[n];
        long[] p = new long[n];
        try (var dc = direct.open(); var pc = proxy.open()) {
            for (int i = 0; i < Math.min(n, 20_000); i++) { // warm-up
                dc.get();
                pc.get();
            }
            for (int i = 0; i < n; i += block) {
                for (int j = i; j < Math.min(n, i + block); j++) {
                    long t = System.nanoTime();
                    dc.get();
                    d[j] = System.nanoTime() - t;
                }
                for (int j = i; j < Math.min(n, i + block); j++) {
                    long t = System.nanoTime();
                    pc.get();
                    p[j] = System.nanoTime() - t;
                }
            }
        }
        Arrays.sort(d);
        Arrays.sort(p);
        System.out.printf("| %s | %s | %s | **%s** | %s | %s | %s |%n", label, us(pct(d, 50)), us(pct(p, 50)),
                us(pct(p, 50) - pct(d, 50)), us(pct(d, 99)), us(pct(p, 99)), us(pct(p, 99) - pct(d, 99)));
    }

    static void throughputRow(String label, Client direct, Client proxy, int conns, int seconds, ThreadMXBean mx,
            Set<Long> proxyThreads) throws Exception {
        double directRps = load(direct, conns, seconds);
        long cpu0 = cpu(mx, proxyThreads);
        long t0 = System.nanoTime();
        double proxyRps = load(proxy, conns, seconds);
        double wall = (System.nanoTime() - t0) / 1e9;
        double cores = (cpu(mx, proxyThreads) - cpu0) / 1e9 / wall;
        System.out.printf("| %s | %,.0f | %,.0f | %.2f | **%,.0f** |%n", label, directRps, proxyRps, cores, proxyRps / Math.max(cores, 1e-9));
    }

    static double load(Client client, int conns, int seconds) throws Exception {
        AtomicLong count = new AtomicLong();
        long end = System.nanoTime() + Duration.ofSeconds(seconds).toNanos();
        List<Thread> threads = new ArrayList<>();
        List<Exception> errors = new ArrayList<>();
        long t0 = System.nanoTime();
        for (int i = 0; i < conns; i++) {
            threads.add(Thread.ofPlatform().start(() -> {
                try (var c = client.open()) {
                    long n = 0;
                    while (System.nanoTime() < end) {
                        c.get();
                        n++;
                    }
                    count.addAndGet(n);
                } catch (Exception e) {
                    synchronized (errors) {
                        errors.add(e);
                    }
                }
            }));
        }
        for (Thread t : threads) t.join();
        if (!errors.isEmpty()) throw errors.getFirst();
        return count.get() / ((System.nanoTime() - t0) / 1e9);
    }

    static long cpu(ThreadMXBean mx, Set<Long> ids) {
        long sum = 0;
        for (long id : ids) sum += Math.max(0, mx.getThreadCpuTime(id));
        return sum;
    }

    static Set<Long> threadIds(ThreadMXBean mx) {
        Set<Long> s = new HashSet<>();
        for (long id : mx.getAllThreadIds()) s.add(id);
        return s;
    }

    /** The machine is shared: the figures only mean something next to how busy it was. */
    static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (Exception e) {
            return "unknown";
        }
    }

    static SSLContext trusting(CertificateAuthority ca) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setCertificateEntry("ca", ca.certificate());
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ks);
        SSLContext c = SSLContext.getInstance("TLS");
        c.init(null, tmf.getTrustManagers(), null);
        return c;
    }

    static long pct(long[] sorted, int p) {
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p / 100.0 * sorted.length) - 1)];
    }

    static String us(long nanos) {
        return String.format("%.1f µs", nanos / 1000.0);
    }

    static String ms(long nanos) {
        return String.format("%.2f ms", nanos / 1e6);
    }

    static int intArg(String[] args, String name, int def) {
        for (int i = 0; i + 1 < args.length; i++) if (args[i].equals(name)) return Integer.parseInt(args[i + 1]);
        return def;
    }
}
