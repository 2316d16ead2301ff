package dev.tether.cli.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tether.policy.NetworkRules;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/** The pin lifecycle (TTL, expiry, union, reload) and the forwarder, without root: a fake kernel target. */
class SessionDnsTest {
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    /** Stands for the kernel guard's pin maps. */
    static final class FakeTarget implements DnsPins.Target {
        final Map<InetAddress, List<NetworkRules.Rule>> pinned = new HashMap<>();
        final List<String> log = new ArrayList<>();
        final AtomicBoolean refuse = new AtomicBoolean();

        @Override
        public synchronized boolean pin(InetAddress address, List<NetworkRules.Rule> rules, java.util.Set<String> names) {
            if (refuse.get()) {
                return false;
            }
            pinned.put(address, rules);
            log.add("pin " + address.getHostAddress() + " " + rules.size());
            return true;
        }

        @Override
        public synchronized void unpin(InetAddress address) {
            pinned.remove(address);
            log.add("unpin " + address.getHostAddress());
        }
    }

    private static NetworkRules.Rule permit(int port) {
        return new NetworkRules.Rule(NetworkRules.Effect.PERMIT, port, port, null, null);
    }

    /** A "policy": name -> one permit of a port. */
    private static DnsPins.Rules policy(Map<String, Integer> ports) {
        return (name, address) -> ports.containsKey(name) ? List.of(permit(ports.get(name))) : List.of();
    }

    private final AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2026-01-01T00:00:00Z"));

    private void advance(long seconds) {
        now.updateAndGet(t -> t.plusSeconds(seconds));
    }

    @Test
    void aShortTtlPinLivesTheMinimumThenGoes() {
        FakeTarget t = new FakeTarget();
        DnsPins pins = new DnsPins(t, () -> policy(Map.of("a.test", 443)), now::get, Duration.ofSeconds(300));
        InetAddress ip = InetAddress.ofLiteral("192.0.2.1");
        assertThat(pins.pin("A.test.", ip, 30)).isTrue();
        assertThat(t.pinned.get(ip)).containsExactly(permit(443));
        assertThat(pins.names(ip)).containsExactly("a.test");
        advance(299);
        assertThat(pins.expire()).isZero();
        assertThat(t.pinned).containsKey(ip);
        advance(2);
        assertThat(pins.expire()).isEqualTo(1);
        assertThat(t.pinned).doesNotContainKey(ip);
        assertThat(pins.size()).isZero();
    }

    @Test
    void aLongTtlPinLivesItsTtl() {
        FakeTarget t = new FakeTarget();
        DnsPins pins = new DnsPins(t, () -> policy(Map.of("a.test", 443)), now::get, Duration.ofSeconds(300));
        InetAddress ip = InetAddress.ofLiteral("2001:db8::1");
        pins.pin("a.test", ip, 1000);
        advance(900);
        pins.expire();
        assertThat(t.pinned).containsKey(ip);
        advance(101);
        pins.expire();
        assertThat(t.pinned).doesNotContainKey(ip);
    }

    @Test
    void anAddressOfTwoNamesHasTheUnionUntilOneExpires() {
        FakeTarget t = new FakeTarget();
        DnsPins pins = new DnsPins(t, () -> policy(Map.of("a.test", 443, "b.test", 22)), now::get, Duration.ofSeconds(300));
        InetAddress ip = InetAddress.ofLiteral("192.0.2.7");
        pins.pin("a.test", ip, 10);
        advance(100);
        pins.pin("b.test", ip, 10);
        assertThat(t.pinned.get(ip)).containsExactlyInAnyOrder(permit(443), permit(22));
        advance(250); // a.test's answer (300 s floor) is over, b.test's is not
        assertThat(pins.expire()).isZero();
        assertThat(t.pinned.get(ip)).containsExactly(permit(22));
        assertThat(pins.names(ip)).containsExactly("b.test");
        // A repeated answer extends, never shortens.
        pins.pin("b.test", ip, 5000);
        pins.pin("b.test", ip, 1);
        advance(4000);
        pins.expire();
        assertThat(t.pinned).containsKey(ip);
    }

    @Test
    void aReloadRecomputesEveryLivePin() {
        FakeTarget t = new FakeTarget();
        AtomicReference<DnsPins.Rules> rules = new AtomicReference<>(policy(Map.of("a.test", 443)));
        DnsPins pins = new DnsPins(t, rules::get, now::get, Duration.ofSeconds(300));
        InetAddress ip1 = InetAddress.ofLiteral("192.0.2.1");
        InetAddress ip2 = InetAddress.ofLiteral("192.0.2.2");
        pins.pin("a.test", ip1, 60);
        pins.pin("b.test", ip2, 60);
        assertThat(t.pinned.get(ip1)).containsExactly(permit(443));
        assertThat(t.pinned.get(ip2)).isEmpty(); // pinned with no rule: refused, whatever address rules say
        rules.set(policy(Map.of("b.test", 8080)));
        assertThat(pins.recompute()).isEqualTo(2);
        assertThat(t.pinned.get(ip1)).isEmpty();
        assertThat(t.pinned.get(ip2)).containsExactly(permit(8080));
        // A recomputed pin the kernel refuses is removed, never left with the old policy's rules.
        t.refuse.set(true);
        rules.set(policy(Map.of("a.test", 1)));
        assertThat(pins.recompute()).isZero();
        assertThat(t.pinned).isEmpty();
        assertThat(pins.size()).isZero();
    }

    @Test
    void aRepeatedAnswerOnlyExtendsThePin() {
        FakeTarget t = new FakeTarget();
        java.util.concurrent.atomic.AtomicInteger computed = new java.util.concurrent.atomic.AtomicInteger();
        DnsPins pins = new DnsPins(t, () -> (name, address) -> {
            computed.incrementAndGet();
            return List.of(permit(443));
        }, now::get, Duration.ofSeconds(300));
        InetAddress ip = InetAddress.ofLiteral("192.0.2.1");
        pins.pin("a.test", ip, 60);
        advance(200);
        pins.pin("a.test", ip, 60);
        assertThat(t.log).hasSize(1);
        assertThat(computed).hasValue(1);
        advance(200); // 400 s after the first answer, 200 s after the second
        pins.expire();
        assertThat(t.pinned).containsKey(ip);
        advance(101);
        pins.expire();
        assertThat(t.pinned).isEmpty();
    }

    @Test
    void theGatewayIsNeverPinned() {
        FakeTarget t = new FakeTarget();
        InetAddress gateway = InetAddress.ofLiteral("100.96.0.1");
        DnsPins pins = new DnsPins(t, () -> policy(Map.of()), now::get, Duration.ofSeconds(300)).reserve(List.of(gateway));
        assertThat(pins.pin("evil.test", gateway, 60)).isTrue();
        assertThat(t.pinned).isEmpty();
        assertThat(pins.size()).isZero();
    }

    @Test
    void aRefusedPinIsNotRecorded() {
        FakeTarget t = new FakeTarget();
        t.refuse.set(true);
        DnsPins pins = new DnsPins(t, () -> policy(Map.of()), now::get, Duration.ofSeconds(300));
        assertThat(pins.pin("a.test", InetAddress.ofLiteral("192.0.2.1"), 60)).isFalse();
        assertThat(pins.size()).isZero();
    }

    // The forwarder, on loopback, in front of a test DNS server.

    private static Message query(DatagramSocket client, int port, String name, int type) throws Exception {
        Message q = Message.newQuery(Record.newRecord(Name.fromString(name), type, DClass.IN));
        byte[] b = q.toWire();
        client.send(new DatagramPacket(b, b.length, new InetSocketAddress(LOOPBACK, port)));
        byte[] buf = new byte[4096];
        DatagramPacket p = new DatagramPacket(buf, buf.length);
        client.receive(p);
        Message r = new Message(java.util.Arrays.copyOf(buf, p.getLength()));
        assertThat(r.getHeader().getID()).isEqualTo(q.getHeader().getID());
        return r;
    }

    @Test
    void answersArePinnedForTheNameAskedFollowingCnamesAndFailClosed() throws Exception {
        FakeTarget t = new FakeTarget();
        DnsPins pins = new DnsPins(t, () -> policy(Map.of("www.test", 443)), now::get, Duration.ofSeconds(300));
        try (TestDnsServer upstream = TestDnsServer.start(LOOPBACK).name("cdn.test", "192.0.2.10", "2001:db8::10")
                .alias("www.test", "cdn.test").name("nope.test", "192.0.2.99");
             SessionDns dns = SessionDns.start(List.of(LOOPBACK), upstream.address(), pins, new PrintWriter(new StringWriter()));
             DatagramSocket client = new DatagramSocket()) {
            client.setSoTimeout(5000);
            Message r = query(client, dns.port(), "www.test.", Type.A);
            assertThat(r.getRcode()).isEqualTo(Rcode.NOERROR);
            assertThat(r.getSection(Section.ANSWER)).hasSize(2);
            InetAddress ip = InetAddress.ofLiteral("192.0.2.10");
            // Pinned with the rules of the name asked (www.test), not of the CNAME target.
            assertThat(t.pinned.get(ip)).containsExactly(permit(443));
            assertThat(pins.names(ip)).containsExactly("www.test");
            query(client, dns.port(), "www.test.", Type.AAAA);
            assertThat(t.pinned.get(InetAddress.ofLiteral("2001:db8::10"))).containsExactly(permit(443));
            // A name the policy does not permit: pinned with no rule (the kernel refuses it).
            query(client, dns.port(), "nope.test.", Type.A);
            assertThat(t.pinned.get(InetAddress.ofLiteral("192.0.2.99"))).isEmpty();
            assertThat(query(client, dns.port(), "missing.test.", Type.A).getRcode()).isEqualTo(Rcode.NXDOMAIN);
            // The kernel refuses a pin: SERVFAIL, no address handed out.
            t.refuse.set(true);
            upstream.name("new.test", "192.0.2.50");
            Message failed = query(client, dns.port(), "new.test.", Type.A);
            assertThat(failed.getRcode()).isEqualTo(Rcode.SERVFAIL);
            assertThat(failed.getSection(Section.ANSWER)).isEmpty();
            assertThat(dns.stats().servfail()).isEqualTo(1);
        }
        assertThat(t.pinned).as("closing the forwarder removes its pins").isEmpty();
    }

    @Test
    void whenNotEnforcingAFailedPinDoesNotBreakResolution() throws Exception {
        FakeTarget t = new FakeTarget();
        t.refuse.set(true);
        DnsPins pins = new DnsPins(t, () -> policy(Map.of()), now::get, Duration.ofSeconds(300));
        try (TestDnsServer upstream = TestDnsServer.start(LOOPBACK).name("a.test", "192.0.2.1");
             SessionDns dns = SessionDns.start(List.of(LOOPBACK), upstream.address(), pins, () -> false,
                     new PrintWriter(new StringWriter()));
             DatagramSocket client = new DatagramSocket()) {
            client.setSoTimeout(5000);
            Message r = query(client, dns.port(), "a.test.", Type.A);
            assertThat(r.getRcode()).isEqualTo(Rcode.NOERROR);
            assertThat(r.getSection(Section.ANSWER)).hasSize(1);
        }
    }

    @Test
    void aKernelErrorCountsAsARefusal() {
        DnsPins.Target broken = new DnsPins.Target() {
            @Override
            public boolean pin(InetAddress address, List<NetworkRules.Rule> rules, java.util.Set<String> names) {
                throw new IllegalStateException("bpf_map_update_elem: E2BIG");
            }

            @Override
            public void unpin(InetAddress address) {
                throw new IllegalStateException("bpf_map_delete_elem: ENOENT");
            }
        };
        DnsPins pins = new DnsPins(broken, () -> policy(Map.of()), now::get, Duration.ofSeconds(300));
        assertThat(pins.pin("a.test", InetAddress.ofLiteral("192.0.2.1"), 60)).isFalse();
        assertThat(pins.recompute()).isZero();
        pins.clear();
    }

    @Test
    void malformedQueriesGetFormerrOrAreDroppedAndTheForwarderKeepsAnswering() throws Exception {
        FakeTarget t = new FakeTarget();
        DnsPins pins = new DnsPins(t, () -> policy(Map.of()), now::get, Duration.ofSeconds(300));
        try (TestDnsServer upstream = TestDnsServer.start(LOOPBACK).name("a.test", "192.0.2.1");
             SessionDns dns = SessionDns.start(List.of(LOOPBACK), upstream.address(), pins, new PrintWriter(new StringWriter()));
             DatagramSocket client = new DatagramSocket()) {
            client.setSoTimeout(1000);
            InetSocketAddress to = new InetSocketAddress(LOOPBACK, dns.port());
            // Too short for a header: dropped.
            client.send(new DatagramPacket(new byte[] {1, 2, 3}, 3, to));
            // A header claiming a question that is not there: FORMERR with the query's id.
            byte[] bad = {0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 5, 'a'};
            client.send(new DatagramPacket(bad, bad.length, to));
            byte[] buf = new byte[512];
            DatagramPacket p = new DatagramPacket(buf, buf.length);
            client.receive(p);
            assertThat(p.getLength()).isEqualTo(12);
            assertThat(buf[0]).isEqualTo((byte) 0x12);
            assertThat(buf[1]).isEqualTo((byte) 0x34);
            assertThat(buf[2] & 0x80).isEqualTo(0x80);
            assertThat(buf[3] & 0x0f).isEqualTo(Rcode.FORMERR);
            // Random garbage never crashes it.
            java.util.Random random = new java.util.Random(7);
            for (int i = 0; i < 200; i++) {
                byte[] junk = new byte[12 + random.nextInt(100)];
                random.nextBytes(junk);
                junk[2] &= 0x7f; // a "query"
                client.send(new DatagramPacket(junk, junk.length, to));
            }
            client.setSoTimeout(200);
            try {
                while (true) {
                    client.receive(new DatagramPacket(buf, buf.length));
                }
            } catch (SocketTimeoutException drained) {
                // replies to the junk, if any
            }
            client.setSoTimeout(5000);
            assertThat(query(client, dns.port(), "a.test.", Type.A).getRcode()).isEqualTo(Rcode.NOERROR);
            assertThat(t.pinned).containsKey(InetAddress.ofLiteral("192.0.2.1"));
        }
    }

    @Test
    void tcpQueriesAreForwardedOverTcpAndPinnedAlike() throws Exception {
        FakeTarget t = new FakeTarget();
        DnsPins pins = new DnsPins(t, () -> policy(Map.of("a.test", 443)), now::get, Duration.ofSeconds(300));
        try (TestDnsServer upstream = TestDnsServer.start(LOOPBACK).name("a.test", "192.0.2.1", "192.0.2.2");
             SessionDns dns = SessionDns.start(List.of(LOOPBACK), upstream.address(), pins, new PrintWriter(new StringWriter()));
             java.net.Socket s = new java.net.Socket(LOOPBACK, dns.port())) {
            s.setSoTimeout(5000);
            var out = new java.io.DataOutputStream(s.getOutputStream());
            var in = new java.io.DataInputStream(s.getInputStream());
            for (int i = 0; i < 2; i++) { // two queries on one connection
                byte[] q = Message.newQuery(Record.newRecord(Name.fromString("a.test."), Type.A, DClass.IN)).toWire();
                out.writeShort(q.length);
                out.write(q);
                out.flush();
                byte[] r = new byte[in.readUnsignedShort()];
                in.readFully(r);
                assertThat(new Message(r).getSection(Section.ANSWER)).hasSize(2);
            }
            assertThat(t.pinned.get(InetAddress.ofLiteral("192.0.2.1"))).containsExactly(permit(443));
            assertThat(t.pinned.get(InetAddress.ofLiteral("192.0.2.2"))).containsExactly(permit(443));
        }
    }

    @Test
    void upstreamComesFromTheEnvironmentOrResolvConf(@TempDir Path dir) throws Exception {
        Path resolv = dir.resolve("resolv.conf");
        Files.writeString(resolv, "# comment\nsearch example\nnameserver 127.0.0.53\nnameserver 10.0.0.1\n");
        assertThat(SessionDns.upstream(Map.of(), resolv)).contains(new InetSocketAddress(InetAddress.ofLiteral("127.0.0.53"), 53));
        assertThat(SessionDns.upstream(Map.of("TETHER_DNS_UPSTREAM", "127.0.0.1:5353"), resolv))
                .contains(new InetSocketAddress(LOOPBACK, 5353));
        assertThat(SessionDns.upstream(Map.of("TETHER_DNS_UPSTREAM", "[::1]:54"), resolv))
                .contains(new InetSocketAddress(InetAddress.ofLiteral("::1"), 54));
        assertThat(SessionDns.upstream(Map.of("TETHER_DNS_UPSTREAM", "2001:db8::1"), resolv))
                .contains(new InetSocketAddress(InetAddress.ofLiteral("2001:db8::1"), 53));
        assertThat(SessionDns.upstream(Map.of(), dir.resolve("missing"))).isEmpty();
        assertThatThrownBy(() -> SessionDns.upstream(Map.of("TETHER_DNS_UPSTREAM", "1.2.3.4:0"), resolv))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
