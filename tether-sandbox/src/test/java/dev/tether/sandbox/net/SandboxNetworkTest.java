package dev.tether.sandbox.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sandbox network against the real kernel (root): namespace, veth, addresses and routes,
 * the REDIRECT hook a transparent proxy uses, the host's services out of reach, and teardown.
 */
class SandboxNetworkTest {
    @TempDir Path state;

    @BeforeAll
    static void requireRoot() {
        assumeTrue("root".equals(System.getProperty("user.name")), "network namespace tests need root");
        assumeTrue(Files.isExecutable(Path.of("/usr/sbin/nft")) && Files.isExecutable(Path.of("/usr/sbin/ip")),
                "nft or ip (iproute2) is not installed");
    }

    /**
     * A session id whose lock this JVM holds, as a real session's is: a tether starting meanwhile
     * on this host sweeps tether networks of sessions without a held lock.
     */
    private static String id(String tag) {
        String id = "nettest-" + tag + "-" + ProcessHandle.current().pid();
        try {
            Path dir = Path.of("/run/tether/sessions");
            Files.createDirectories(dir);
            java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(dir.resolve(id + ".lock"),
                    java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.WRITE);
            LOCKS.add(ch.lock());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return id;
    }

    private static final List<java.nio.channels.FileLock> LOCKS = new java.util.concurrent.CopyOnWriteArrayList<>();

    @org.junit.jupiter.api.AfterAll
    static void releaseLocks() throws Exception {
        for (var l : LOCKS) {
            l.release();
            l.channel().close();
        }
    }

    /** Runs a shell script inside the namespace (nsenter, like the built-in engine). */
    private static HostCommands.Result inside(SandboxNetwork net, String script) {
        return new HostCommands().run(List.of("nsenter", "--net=" + net.namespacePath(), "bash", "-c", script), null);
    }

    @Test
    void redirectTcpSendsAnyDestinationToTheHostListener() throws Exception {
        try (SandboxNetwork net = SandboxNetwork.create(id("r"), "box", new HostCommands(), state);
             ServerSocket listener = new ServerSocket()) {
            listener.bind(new InetSocketAddress(0));
            net.redirectTcp(80, new InetSocketAddress(InetAddress.ofLiteral("0.0.0.0"), listener.getLocalPort()));
            CompletableFuture<String> got = CompletableFuture.supplyAsync(() -> {
                try (Socket s = listener.accept(); InputStream in = s.getInputStream()) {
                    return new String(in.readAllBytes(), StandardCharsets.UTF_8) + " from " + s.getInetAddress().getHostAddress()
                            + " to " + s.getLocalAddress().getHostAddress();
                } catch (Exception e) {
                    return "ERR " + e;
                }
            });
            // 203.0.113.9 (TEST-NET-3) is never routed: only the redirect can answer.
            var r = inside(net, "echo -n via-redirect > /dev/tcp/203.0.113.9/80");
            assertThat(r.exit()).as(r.stderr()).isZero();
            assertThat(got.get(10, TimeUnit.SECONDS)).isEqualTo("via-redirect from " + net.sandboxAddress4().getHostAddress()
                    + " to " + net.gateway4().getHostAddress());
            assertThatThrownBy(() -> net.redirectTcp(443, new InetSocketAddress(InetAddress.getLoopbackAddress(), 1)))
                    .hasMessageContaining("cannot receive the sandbox's traffic");
        }
    }

    @Test
    void theHostsServicesAndLoopbackAreOutOfReachButDnsForwards() throws Exception {
        try (SandboxNetwork net = SandboxNetwork.create(id("h"), "box", new HostCommands(), state);
             ServerSocket wildcard = new ServerSocket(); ServerSocket loop = new ServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
            wildcard.bind(new InetSocketAddress(0));
            SandboxNetwork.hostResolver(Path.of("/etc/resolv.conf")).ifPresent(net::forwardDnsUpstream);
            var r = inside(net, "timeout 3 bash -c 'echo > /dev/tcp/" + net.gateway4().getHostAddress() + "/" + wildcard.getLocalPort()
                    + "' && echo HOST-OPEN; timeout 3 bash -c 'echo > /dev/tcp/127.0.0.1/" + loop.getLocalPort() + "' && echo LOOP-OPEN;"
                    + " ip -4 route show default; ip -6 route show default; echo done");
            assertThat(r.stdout()).contains("default via " + net.gateway4().getHostAddress())
                    .contains("default via " + NetworkSlot.PREFIX6 + Integer.toHexString(net.slot().index()) + "::1").contains("done")
                    .doesNotContain("HOST-OPEN").doesNotContain("LOOP-OPEN");
            assertThat(Files.readString(net.attachment().resolvConf())).contains("nameserver " + net.dnsAddress().getHostAddress());
        }
    }

    @Test
    void concurrentSessionsGetDistinctSlotsAndCloseRemovesEverything() throws Exception {
        List<CompletableFuture<SandboxNetwork>> starts = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            String sid = id("c" + i);
            starts.add(CompletableFuture.supplyAsync(() -> SandboxNetwork.create(sid, "box", new HostCommands(), state)));
        }
        List<SandboxNetwork> nets = starts.stream().map(CompletableFuture::join).toList();
        try {
            assertThat(nets.stream().map(n -> n.slot().index()).collect(java.util.stream.Collectors.toSet())).hasSize(4);
            for (SandboxNetwork n : nets) {
                assertThat(n.namespacePath()).exists();
            }
        } finally {
            nets.forEach(SandboxNetwork::close);
        }
        for (SandboxNetwork n : nets) {
            assertThat(n.namespacePath()).doesNotExist();
            assertThat(new HostCommands().run(List.of("ip", "link", "show", n.hostInterface()), null).ok()).isFalse();
            assertThat(new HostCommands().run(List.of("nft", "list", "table", "inet", n.tableName()), null).ok()).isFalse();
        }
        assertThat(new NetworkSlots(state.resolve("slots")).claims()).isEmpty();
    }

    @Test
    void theSweeperRemovesTheNetworkOfADeadSession() {
        SandboxNetwork net = SandboxNetwork.create(id("s"), "box", new HostCommands(), state);
        String sid = net.sessionId();
        // Nobody closes it (as if tether had been killed); the sweeper is told the session is dead.
        List<String> swept = SandboxNetwork.sweep(Set.of(sid)::contains, new HostCommands(), state);
        assertThat(swept).contains(sid);
        assertThat(net.namespacePath()).doesNotExist();
        assertThat(new HostCommands().run(List.of("nft", "list", "table", "inet", net.tableName()), null).ok()).isFalse();
        assertThat(new NetworkSlots(state.resolve("slots")).claims()).isEmpty();
    }

    @Test
    void aLeftoverInterfaceOnTheSlotIsReplaced() throws Exception {
        // Every slot but one claimed, and an interface with that slot's name already there (a crash
        // between "link add" and anything recording it): create removes it and makes the pair.
        Path slots = state.resolve("slots");
        Files.createDirectories(slots);
        int free = 4242;
        for (int i = 0; i < NetworkSlot.COUNT; i++) {
            if (i != free) {
                Files.writeString(slots.resolve(Integer.toString(i)), "someone-else");
            }
        }
        String leftover = new NetworkSlot(free).hostInterface();
        new HostCommands().require(List.of("ip", "link", "add", leftover, "type", "veth", "peer", "name", leftover + "p"), null, "leftover");
        try (SandboxNetwork next = SandboxNetwork.create(id("l"), "box", new HostCommands(), state)) {
            assertThat(next.hostInterface()).isEqualTo(leftover);
            assertThat(inside(next, "ip -4 addr show eth0").stdout()).contains(next.sandboxAddress4().getHostAddress());
            assertThat(new HostCommands().run(List.of("ip", "link", "show", leftover), null).stdout())
                    .contains("link-netns " + next.namespaceName());
        } finally {
            new HostCommands().run(List.of("ip", "link", "del", leftover), null);
        }
    }

    @Test
    void dnsRulesAreSwappedInOneChainAndBothProxyPortsShareOneRule() throws Exception {
        InetAddress upstream = InetAddress.ofLiteral("192.0.2.53");
        try (SandboxNetwork net = SandboxNetwork.create(id("d"), "box", upstream)) {
            String dns = new HostCommands().require(List.of("nft", "list", "chain", "inet", net.tableName(), "dns"), null, "list");
            assertThat(dns).contains("dnat ip to 192.0.2.53");
            net.redirectDns(new InetSocketAddress(net.gateway4(), 5353));
            dns = new HostCommands().require(List.of("nft", "list", "chain", "inet", net.tableName(), "dns"), null, "list");
            assertThat(dns).doesNotContain("dnat").contains("redirect to :5353")
                    .contains("ip daddr " + net.gateway4().getHostAddress())
                    .contains("ip6 daddr " + NetworkSlot.PREFIX6 + Integer.toHexString(net.slot().index()) + "::1");
            SandboxNetwork.Rule proxy = net.redirectTcp(List.of(80, 443), new InetSocketAddress(InetAddress.ofLiteral("0.0.0.0"), 8080));
            String pre = new HostCommands().require(List.of("nft", "-a", "list", "chain", "inet", net.tableName(), "prerouting"),
                    null, "list");
            assertThat(pre).contains("jump dns").contains("dport { 80, 443 } redirect to :8080 # handle " + proxy.handle());
            assertThatThrownBy(() -> net.forwardDnsUpstream(InetAddress.getLoopbackAddress()))
                    .hasMessageContaining("on loopback");
        } finally {
            // create(sessionId, hostname, upstream) keeps its state in /run/tether/net: closed above.
        }
    }
}
