package dev.tether.sandbox.net;

import dev.tether.sandbox.NetworkAttachment;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The network namespace tether owns for one sandbox: {@code /run/netns/tether-SESSION}, joined by
 * the engine before the sandbox's first process runs. Inside: loopback (the sandbox's own, so the
 * host's 127.0.0.1 — the Control UI included — is out of reach) and {@code eth0}, one end of a veth
 * pair whose host end carries the gateway addresses of the session's {@link NetworkSlot}. Default
 * routes (IPv4 and IPv6) point at the host end; egress is masqueraded by an nft table of the
 * session's own ({@code inet tether_SESSION}), which also refuses every connection from the sandbox
 * to the host itself except DNS to the gateway and what tether redirects on purpose.
 *
 * <p>Hooks for the enforcing layers: {@link #redirectTcp} (transparent proxy: the original
 * destination stays readable with SO_ORIGINAL_DST, since the rule is REDIRECT on the host side),
 * {@link #redirectDns} / {@link #forwardDnsUpstream} (names resolve at {@link #dnsAddress()}).
 *
 * <p>Everything is torn down by {@link #close()}; what a crashed tether left is removed by
 * {@link #sweep}.
 */
public final class SandboxNetwork implements AutoCloseable {
    public static final Path STATE_DIR = Path.of("/run/tether/net");
    static final Path NETNS_DIR = Path.of("/run/netns");
    static final String NETNS_PREFIX = "tether-";
    static final String TABLE_PREFIX = "tether_";
    private static final Pattern HANDLE = Pattern.compile("# handle (\\d+)");

    /** An nft rule tether installed, so it can be taken out again (e.g. when the policy changes). */
    public record Rule(String chain, long handle, String text) {}

    private final String sessionId;
    private final NetworkSlot slot;
    private final HostCommands cmd;
    private final NetworkSlots slots;
    private final Path stateDir;
    /** Where sessions that added host firewall rules say so (DockerForwarding). */
    private final Path forwardingMarkers;
    private boolean closed;

    private SandboxNetwork(String sessionId, NetworkSlot slot, HostCommands cmd, NetworkSlots slots, Path stateRoot) {
        this.sessionId = sessionId;
        this.slot = slot;
        this.cmd = cmd;
        this.slots = slots;
        this.stateDir = stateRoot.resolve(sessionId);
        this.forwardingMarkers = forwardingMarkers(stateRoot);
    }

    static Path forwardingMarkers(Path stateRoot) {
        return stateRoot.resolve("forwarding");
    }

    /**
     * Creates the namespace, veth pair, addresses, routes and nft table for {@code sessionId}, the
     * sandbox's DNS queries forwarded to {@code dnsUpstream} from the start when it is not null (as
     * {@link #forwardDnsUpstream} would, without an nft run of its own). On any failure, what was
     * made so far is removed again and the exception says which step failed.
     */
    public static SandboxNetwork create(String sessionId, String hostname, InetAddress dnsUpstream) {
        return create(sessionId, hostname, null, dnsUpstream, new HostCommands(), STATE_DIR);
    }

    /**
     * Like {@link #create(String, String, InetAddress)}, but the namespace is one that exists already (e.g.
     * {@code /proc/PID/ns/net} of docker's holder container): it is bind-mounted at
     * {@code /run/netns/tether-SESSION} and configured exactly like a namespace of tether's own.
     */
    public static SandboxNetwork adopt(String sessionId, String hostname, Path existingNamespace, InetAddress dnsUpstream) {
        return create(sessionId, hostname, java.util.Objects.requireNonNull(existingNamespace), dnsUpstream,
                new HostCommands(), STATE_DIR);
    }

    static SandboxNetwork create(String sessionId, String hostname, HostCommands cmd, Path stateRoot) {
        return create(sessionId, hostname, null, null, cmd, stateRoot);
    }

    private static SandboxNetwork create(String sessionId, String hostname, Path existingNamespace, InetAddress dnsUpstream,
                                         HostCommands cmd, Path stateRoot) {
        if (!sessionId.matches("[a-z0-9-]{1,40}")) {
            throw new IllegalArgumentException("session id not usable in network names: " + sessionId);
        }
        NetworkSlots slots = new NetworkSlots(stateRoot.resolve("slots"));
        NetworkSlot slot = slots.allocate(sessionId);
        SandboxNetwork net = new SandboxNetwork(sessionId, slot, cmd, slots, stateRoot);
        try {
            if (dnsUpstream != null) {
                requireReachableResolver(dnsUpstream);
            }
            net.setUp(hostname, existingNamespace, dnsUpstream);
            return net;
        } catch (RuntimeException e) {
            net.close();
            throw e;
        }
    }

    /**
     * Three independent sequences run in parallel, since each tool run is a process on the
     * session's start path (~15-40 ms on the test hosts): the host firewall's forwarding rules;
     * the namespace and the veth pair (one ip batch for the host side, one for the inside); the nft
     * table (it names the host interface, which need not exist yet).
     */
    private void setUp(String hostname, Path existingNamespace, InetAddress dnsUpstream) {
        HostForwarding.enable();
        try (var parallel = Executors.newVirtualThreadPerTaskExecutor()) {
            var forwarding = parallel.submit(() -> DockerForwarding.allow(cmd, forwardingMarkers, sessionId, hostInterface()));
            var links = parallel.submit(() -> makeLinks(existingNamespace));
            var table = parallel.submit(() -> cmd.require(List.of("nft", "-f", "-"), tableScript(dnsUpstream),
                    "installing nft table " + tableName()));
            for (var step : List.of(forwarding, links, table)) {
                step.get();
            }
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new NetworkSetupException("setting up the network of " + sessionId + ": " + e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new NetworkSetupException("interrupted while setting up the network of " + sessionId);
        }
        writeFiles(hostname);
    }

    private void makeLinks(Path existingNamespace) {
        String ns = namespaceName();
        String h = slot.hostInterface();
        List<String> hostSide = new ArrayList<>();
        if (existingNamespace == null) {
            hostSide.add("netns add " + ns);
        } else {
            // The same file "ip netns add" makes (so "ip -n", nsenter and "ip netns del" work
            // unchanged), bound to a namespace someone else created.
            Path file = namespacePath();
            cmd.require(List.of("sh", "-c", "mkdir -p \"$1\" && : > \"$2\" && mount --bind \"$3\" \"$2\"", "sh",
                    NETNS_DIR.toString(), file.toString(), existingNamespace.toString()), null,
                    "binding " + existingNamespace + " to " + file);
            // docker turns IPv6 off in its containers' namespaces unless its daemon has IPv6 on;
            // the sandbox gets both families like any other (eth0 takes "default" when it moves in).
            cmd.require(List.of("nsenter", "--net=" + file, "sh", "-c",
                    "for c in all default lo; do echo 0 > /proc/sys/net/ipv6/conf/$c/disable_ipv6; done"), null,
                    "turning IPv6 on in " + ns);
        }
        List<String> veth = List.of(
                "link add " + h + " type veth peer name eth0 netns " + ns,
                "addr add " + slot.host4().getHostAddress() + "/30 dev " + h,
                "addr add " + slot.host6().getHostAddress() + "/64 dev " + h + " nodad",
                "link set " + h + " up");
        hostSide.addAll(veth);
        HostCommands.Result made = cmd.run(List.of("ip", "-batch", "-"), String.join("\n", hostSide) + "\n");
        if (!made.ok() && Files.exists(namespacePath())) {
            // Most likely a leftover of a crashed session holding this slot's interface name (the
            // sweep found no claim for it): remove it and make the pair once more.
            cmd.run(List.of("ip", "link", "del", h), null);
            made = cmd.run(List.of("ip", "-batch", "-"), String.join("\n", veth) + "\n");
        }
        if (!made.ok()) {
            throw new NetworkSetupException("creating network namespace " + ns + " and veth pair " + h
                    + " failed (ip -batch): " + made.stderr().strip());
        }
        cmd.require(List.of("ip", "-n", ns, "-batch", "-"), String.join("\n",
                "link set lo up",
                "addr add " + slot.sandbox4().getHostAddress() + "/30 dev eth0",
                "addr add " + slot.sandbox6().getHostAddress() + "/64 dev eth0 nodad",
                "link set eth0 up",
                "route add default via " + slot.host4().getHostAddress(),
                "route add default via " + slot.host6().getHostAddress(), ""), "configuring eth0 in " + ns);
    }

    /**
     * The nft table: NAT for egress, no way from the sandbox into the host but DNS and redirects.
     * DNS redirects live in a chain of their own, {@code dns}, which {@link #redirectDns} and
     * {@link #forwardDnsUpstream} flush and refill in one transaction: no moment without one.
     */
    String tableScript(InetAddress dnsUpstream) {
        String h = '"' + slot.hostInterface() + '"';
        String gw4 = slot.host4().getHostAddress();
        String gw6 = slot.host6().getHostAddress();
        return "table inet " + tableName() + " {\n"
                + "  chain dns {\n" + (dnsUpstream == null ? "" : "    " + dnsForwardRule(dnsUpstream) + "\n") + "  }\n"
                + "  chain prerouting {\n    type nat hook prerouting priority dstnat; policy accept;\n"
                + "    jump dns\n  }\n"
                + "  chain postrouting {\n    type nat hook postrouting priority srcnat; policy accept;\n"
                + "    ip saddr " + slot.subnet4().getHostAddress() + "/30 oifname != " + h + " masquerade\n"
                + "    ip6 saddr " + slot.subnet6() + " oifname != " + h + " masquerade\n  }\n"
                + "  chain input {\n    type filter hook input priority filter; policy accept;\n"
                + "    iifname " + h + " ct state established,related accept\n"
                + "    iifname " + h + " ct status dnat accept\n"
                + "    iifname " + h + " meta l4proto ipv6-icmp accept\n"
                + "    iifname " + h + " ip daddr " + gw4 + " meta l4proto { tcp, udp } th dport 53 accept\n"
                + "    iifname " + h + " ip6 daddr " + gw6 + " meta l4proto { tcp, udp } th dport 53 accept\n"
                + "    iifname " + h + " counter drop\n  }\n"
                + "  chain forward {\n    type filter hook forward priority filter; policy accept;\n"
                + "    iifname " + h + " accept\n"
                + "    oifname " + h + " ct state established,related accept\n"
                + "    oifname " + h + " counter drop\n  }\n"
                + "}\n";
    }

    private void writeFiles(String hostname) {
        try {
            Files.createDirectories(stateDir);
            Files.writeString(stateDir.resolve("resolv.conf"),
                    "# written by tether: names resolve through tether at the sandbox's gateway\n"
                            + "nameserver " + dnsAddress().getHostAddress() + "\n");
            Files.writeString(stateDir.resolve("hosts"), "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
                    + slot.sandbox4().getHostAddress() + "\t" + hostname + "\n"
                    + slot.sandbox6().getHostAddress() + "\t" + hostname + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the sandbox's resolv.conf/hosts in " + stateDir, e);
        }
    }

    public String sessionId() {
        return sessionId;
    }

    public NetworkSlot slot() {
        return slot;
    }

    public String namespaceName() {
        return NETNS_PREFIX + sessionId;
    }

    /** The namespace file engines join ({@code nsenter --net=}, podman {@code --network ns:}). */
    public Path namespacePath() {
        return NETNS_DIR.resolve(namespaceName());
    }

    public String tableName() {
        return TABLE_PREFIX + sessionId.replace('-', '_');
    }

    /** The host end of the veth pair: every packet from the sandbox arrives on it. */
    public String hostInterface() {
        return slot.hostInterface();
    }

    public Inet4Address gateway4() {
        return slot.host4();
    }

    public Inet6Address gateway6() {
        return slot.host6();
    }

    public Inet4Address sandboxAddress4() {
        return slot.sandbox4();
    }

    public Inet6Address sandboxAddress6() {
        return slot.sandbox6();
    }

    /** The resolver the sandbox uses (its resolv.conf): the gateway's IPv4 address, port 53. */
    public InetAddress dnsAddress() {
        return slot.host4();
    }

    public NetworkAttachment attachment() {
        return new NetworkAttachment(namespacePath(), stateDir.resolve("resolv.conf"), stateDir.resolve("hosts"));
    }

    /**
     * Sends every TCP connection the sandbox makes to destination port {@code port} (any address,
     * IPv4 and IPv6) to the listener on the host, by nft REDIRECT on the host side of the veth, so
     * the listener reads the original destination with SO_ORIGINAL_DST (IP6T_SO_ORIGINAL_DST).
     *
     * <p>REDIRECT delivers to the gateway address of the family the sandbox used, so the listener
     * must listen on the wildcard address (or on both {@link #gateway4()} and {@link #gateway6()});
     * one that listens on a single family makes the other family's connections fail, never bypass.
     *
     * @param port destination port to capture (1-65535)
     * @param hostListener the listener: wildcard or a gateway address, and its port
     * @throws IllegalArgumentException for a loopback listener (unreachable from the sandbox:
     *     the kernel does not route to 127/8 from another interface) or a foreign address
     */
    public Rule redirectTcp(int port, InetSocketAddress hostListener) {
        return redirectTcp(List.of(port), hostListener);
    }

    /** Like {@link #redirectTcp(int, InetSocketAddress)} for several ports, in one rule (one nft run). */
    public Rule redirectTcp(List<Integer> ports, InetSocketAddress hostListener) {
        return addRule("prerouting", tcpRedirectRule(ports, hostListener));
    }

    private String tcpRedirectRule(List<Integer> ports, InetSocketAddress hostListener) {
        if (ports.isEmpty() || ports.stream().anyMatch(p -> p < 1 || p > 65535)) {
            throw new IllegalArgumentException("ports out of range or none: " + ports);
        }
        requireRedirectable(hostListener);
        String dport = ports.size() == 1 ? ports.getFirst().toString()
                : "{ " + String.join(", ", ports.stream().map(String::valueOf).toList()) + " }";
        return "iifname \"" + hostInterface() + "\" meta l4proto tcp th dport " + dport + " redirect to :" + hostListener.getPort();
    }

    /**
     * {@link #redirectTcp(List, InetSocketAddress)} and, when {@code dnsListener} is not null,
     * {@link #redirectDns}, in one nft run (one transaction): each run is a process on the
     * session's start path, and the two listeners start together.
     */
    public synchronized void redirect(List<Integer> tcpPorts, InetSocketAddress tcpListener, InetSocketAddress dnsListener) {
        requireOpen();
        String script = "add rule inet " + tableName() + " prerouting " + tcpRedirectRule(tcpPorts, tcpListener) + "\n"
                + (dnsListener == null ? "" : dnsChainScript(dnsRedirectRules(dnsListener)));
        cmd.require(List.of("nft", "-f", "-"), script, "redirecting the sandbox's traffic in " + tableName());
    }

    /** Like {@link #redirectTcp} for every TCP port except those listed (e.g. the DNS port). */
    public Rule redirectAllTcp(InetSocketAddress hostListener, List<Integer> exceptPorts) {
        requireRedirectable(hostListener);
        String except = exceptPorts.isEmpty() ? "" : " th dport != { " + String.join(", ",
                exceptPorts.stream().map(String::valueOf).toList()) + " }";
        return addRule("prerouting", "iifname \"" + hostInterface() + "\" meta l4proto tcp" + except
                + " redirect to :" + hostListener.getPort());
    }

    /**
     * Sends the sandbox's DNS queries (UDP and TCP to the gateway, port 53) to a DNS server on the
     * host listening at {@code hostListener} (wildcard or gateway address); replaces any earlier
     * DNS rule, including {@link #forwardDnsUpstream}.
     */
    public void redirectDns(InetSocketAddress hostListener) {
        replaceDnsRules(dnsRedirectRules(hostListener));
    }

    private List<String> dnsRedirectRules(InetSocketAddress hostListener) {
        requireRedirectable(hostListener);
        return List.of(
                "iifname \"" + hostInterface() + "\" ip daddr " + gateway4().getHostAddress()
                        + " meta l4proto { tcp, udp } th dport 53 redirect to :" + hostListener.getPort(),
                "iifname \"" + hostInterface() + "\" ip6 daddr " + gateway6().getHostAddress()
                        + " meta l4proto { tcp, udp } th dport 53 redirect to :" + hostListener.getPort());
    }

    /**
     * Until a tether DNS server answers for the sandbox: queries to the gateway go on, unchanged,
     * to the host's own resolver (DNAT). Loopback resolvers cannot be reached this way.
     */
    public void forwardDnsUpstream(InetAddress upstream) {
        requireReachableResolver(upstream);
        replaceDnsRules(List.of(dnsForwardRule(upstream)));
    }

    private static void requireReachableResolver(InetAddress upstream) {
        if (upstream.isLoopbackAddress()) {
            throw new IllegalArgumentException("the host's resolver " + upstream.getHostAddress()
                    + " is on loopback, which the sandbox cannot reach; run a DNS server on the gateway instead");
        }
    }

    private String dnsForwardRule(InetAddress upstream) {
        String family = upstream instanceof Inet4Address ? "ip" : "ip6";
        String to = upstream instanceof Inet4Address ? upstream.getHostAddress() : "[" + upstream.getHostAddress() + "]";
        String daddr = upstream instanceof Inet4Address ? gateway4().getHostAddress() : gateway6().getHostAddress();
        return "iifname \"" + hostInterface() + "\" " + family + " daddr " + daddr
                + " meta l4proto { tcp, udp } th dport 53 dnat " + family + " to " + to;
    }

    /** Swaps the {@code dns} chain's rules for {@code rules} in one nft transaction. */
    private synchronized void replaceDnsRules(List<String> rules) {
        requireOpen();
        cmd.require(List.of("nft", "-f", "-"), dnsChainScript(rules), "replacing the DNS rules of " + tableName());
    }

    private String dnsChainScript(List<String> rules) {
        StringBuilder script = new StringBuilder("flush chain inet " + tableName() + " dns\n");
        for (String rule : rules) {
            script.append("add rule inet ").append(tableName()).append(" dns ").append(rule).append('\n');
        }
        return script.toString();
    }

    /** The first nameserver of the host's /etc/resolv.conf that the sandbox can be forwarded to. */
    public static Optional<InetAddress> hostResolver(Path resolvConf) {
        try (Stream<String> lines = Files.lines(resolvConf)) {
            for (String line : lines.toList()) {
                String[] f = line.strip().split("\\s+");
                if (f.length >= 2 && f[0].equals("nameserver")) {
                    try {
                        InetAddress a = InetAddress.ofLiteral(f[1].replaceFirst("%.*$", ""));
                        if (!a.isLoopbackAddress() && !a.isLinkLocalAddress()) {
                            return Optional.of(a);
                        }
                    } catch (IllegalArgumentException e) {
                        // not a literal: skip
                    }
                }
            }
        } catch (IOException e) {
            return Optional.empty();
        }
        return Optional.empty();
    }

    private void requireRedirectable(InetSocketAddress listener) {
        InetAddress a = listener.getAddress();
        if (a == null || listener.getPort() < 1) {
            throw new IllegalArgumentException("listener needs an address and a port: " + listener);
        }
        if (a.isLoopbackAddress()) {
            throw new IllegalArgumentException("a listener on " + a.getHostAddress()
                    + " cannot receive the sandbox's traffic: listen on the wildcard address or on the gateway "
                    + gateway4().getHostAddress() + " / " + gateway6().getHostAddress());
        }
        if (!a.isAnyLocalAddress() && !a.equals(gateway4()) && !a.equals(gateway6())) {
            throw new IllegalArgumentException("REDIRECT delivers to the gateway address; listener " + a.getHostAddress()
                    + " is neither the wildcard address nor a gateway of this sandbox");
        }
    }

    /** Adds {@code rule} to {@code chain} of the session's table and returns its handle. */
    public synchronized Rule addRule(String chain, String rule) {
        requireOpen();
        String out = cmd.require(List.of("nft", "-e", "-a", "add", "rule", "inet", tableName(), chain, rule), null,
                "adding nft rule to " + tableName() + " " + chain);
        Matcher m = HANDLE.matcher(out);
        if (!m.find()) {
            throw new NetworkSetupException("nft did not report a handle for rule '" + rule + "': " + out.strip());
        }
        return new Rule(chain, Long.parseLong(m.group(1)), rule);
    }

    private void requireOpen() {
        if (closed) {
            throw new IllegalStateException("network of session " + sessionId + " is closed");
        }
    }

    public synchronized void removeRule(Rule rule) {
        if (!closed) {
            cmd.require(List.of("nft", "delete", "rule", "inet", tableName(), rule.chain(), "handle",
                    Long.toString(rule.handle())), null, "removing nft rule " + rule.text());
        }
    }

    /** Removes the table, the veth pair, the namespace and the slot; best effort, never throws. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        tearDown(cmd, forwardingMarkers, sessionId, slot);
        slots.release(slot);
        deleteTree(stateDir);
    }

    /**
     * The firewall rules, the table and the links go in parallel: they are independent, and each
     * is a process on the session's stop path.
     */
    private static List<String> tearDown(HostCommands cmd, Path forwardingMarkers, String sessionId, NetworkSlot slot) {
        String table = TABLE_PREFIX + sessionId.replace('-', '_');
        String ns = NETNS_PREFIX + sessionId;
        try (var parallel = Executors.newVirtualThreadPerTaskExecutor()) {
            var forwarding = parallel.submit(() -> DockerForwarding.remove(cmd, forwardingMarkers, sessionId));
            var dropTable = parallel.submit(() -> cmd.run(List.of("nft", "delete", "table", "inet", table), null));
            // Deleting one end of a veth pair deletes both; -force: the namespace goes even when the link is gone.
            var links = parallel.submit(() -> cmd.run(List.of("ip", "-force", "-batch", "-"),
                    (slot == null ? "" : "link del " + slot.hostInterface() + "\n") + "netns del " + ns + "\n"));
            List<String> problems = new ArrayList<>(forwarding.get());
            var t = dropTable.get();
            if (!t.ok() && !t.stderr().contains("No such file")) {
                problems.add(t.stderr().strip());
            }
            var n = links.get();
            if (!n.ok() && Files.exists(NETNS_DIR.resolve(ns))) {
                problems.add(n.stderr().strip());
            }
            return problems;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return List.of("interrupted while removing the network of " + sessionId);
        } catch (ExecutionException e) {
            return List.of("removing the network of " + sessionId + ": " + e.getCause());
        }
    }

    /**
     * Removes the namespaces, veths, nft tables and slots of sessions that {@code isStale} says are
     * dead (their tether crashed or was killed).
     *
     * @return the session ids whose network was swept
     */
    public static List<String> sweep(Predicate<String> isStale) {
        return sweep(isStale, new HostCommands(), STATE_DIR);
    }

    static List<String> sweep(Predicate<String> isStale, HostCommands cmd, Path stateRoot) {
        List<String> swept = new ArrayList<>();
        NetworkSlots slots = new NetworkSlots(stateRoot.resolve("slots"));
        for (NetworkSlots.Claim c : slots.claims()) {
            if (isStale.test(c.sessionId())) {
                tearDown(cmd, forwardingMarkers(stateRoot), c.sessionId(), c.slot());
                slots.release(c.slot());
                deleteTree(stateRoot.resolve(c.sessionId()));
                swept.add(c.sessionId());
            }
        }
        // Namespaces and tables whose slot file is gone (a crash between the steps of create/close).
        try (Stream<Path> s = Files.list(NETNS_DIR)) {
            for (Path p : s.toList()) {
                String name = p.getFileName().toString();
                if (name.startsWith(NETNS_PREFIX)) {
                    String id = name.substring(NETNS_PREFIX.length());
                    if (!swept.contains(id) && isStale.test(id)) {
                        tearDown(cmd, forwardingMarkers(stateRoot), id, null);
                        swept.add(id);
                    }
                }
            }
        } catch (IOException e) {
            // no /run/netns: nothing there
        }
        var tables = cmd.run(List.of("nft", "list", "tables", "inet"), null);
        if (tables.ok()) {
            for (String line : tables.stdout().lines().toList()) {
                String[] f = line.strip().split("\\s+");
                if (f.length == 3 && f[2].startsWith(TABLE_PREFIX)) {
                    String id = f[2].substring(TABLE_PREFIX.length()).replace('_', '-');
                    if (!swept.contains(id) && isStale.test(id)) {
                        tearDown(cmd, forwardingMarkers(stateRoot), id, null);
                        swept.add(id);
                    }
                }
            }
        }
        // Forwarding rules whose session left nothing else behind.
        DockerForwarding.sweep(cmd, forwardingMarkers(stateRoot), isStale);
        return swept;
    }

    private static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            // a file left in /run is harmless and goes with the next boot
        }
    }
}
