package dev.tether.kernel.enforce;

import dev.tether.events.Event;
import dev.tether.kernel.bpf.BpfMap;
import dev.tether.kernel.bpf.BpfObject;
import dev.tether.kernel.bpf.LibbpfRingPoller;
import dev.tether.kernel.ffm.LibBpf;
import dev.tether.kernel.ffm.LibC;
import dev.tether.policy.Mode;
import dev.tether.policy.NetworkRules;
import dev.tether.policy.PolicyRef;
import dev.tether.policy.Transport;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * NetworkConnect enforcement in the kernel: the cgroup-BPF programs of net_guard.bpf.c attached
 * to the sandbox cgroup (inherited by everything below it, containers included), fed from the
 * policy's {@link NetworkRules}. A reload fills the inactive map set and flips one index, so the
 * kernel never decides with half a policy. Decisions come back on a ring buffer as events.
 */
public final class CgroupNetworkGuard implements AutoCloseable {
    static final int MAX_RULES = 32;
    static final int MAX_PREFIXES = 16384;
    static final int NO_POLICY = 0xffff;
    private static final int RULE_SET_BYTES = 8 + MAX_RULES * 8;
    private static final String[] PROGRAMS = {"guard_connect4", "guard_connect6", "guard_sendmsg4", "guard_sendmsg6", "guard_sock_create"};

    /**
     * @param hostLoopback true when the sandbox shares the host's network namespace: then the
     *     host's loopback (and 0.0.0.0, which reaches it) is refused unless a rule names it
     * @param proxyPorts true when TCP 80/443 are redirected to tether's proxy, which decides them
     * @param dnsServers the sandbox's resolvers (its gateway): port 53 there is let through, since
     *     every name rule depends on resolving names (forbids covering them still win)
     */
    public record Options(boolean hostLoopback, boolean proxyPorts, List<InetAddress> dnsServers) {
        public Options {
            dnsServers = List.copyOf(dnsServers);
        }

        public Options(boolean hostLoopback, boolean proxyPorts) {
            this(hostLoopback, proxyPorts, List.of());
        }
    }

    private final LibBpf libbpf;
    private final LibC libc;
    private final BpfObject object;
    private final BpfMap config;
    private final BpfMap[] v4 = new BpfMap[2];
    private final BpfMap[] v6 = new BpfMap[2];
    private final BpfMap[] sets = new BpfMap[2];
    private final Map<Long, List<PolicyRef>> policyTables = new LinkedHashMap<>();
    static final int PIN_POLICY = 0x8000;
    static final int MAX_PINS = 8192;
    private final BpfMap pinV4;
    private final BpfMap pinV6;
    private final BpfMap pinSets;
    private final Map<InetAddress, Integer> pinSlots = new HashMap<>();
    private final java.util.ArrayDeque<Integer> freePinSlots = new java.util.ArrayDeque<>();
    private final List<PolicyRef> pinTable = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final Map<PolicyRef, Integer> pinIndex = new HashMap<>();
    /** The names each pinned address was resolved from, for the events (read by the ring-buffer thread). */
    private final Map<InetAddress, List<String>> pinNames = new java.util.concurrent.ConcurrentHashMap<>();
    private final Consumer<Event> sink;
    private final NetworkGuardEventDecoder decoder;
    private final LibbpfRingPoller events;
    private volatile boolean loopbackGuarded;
    private int active = 0;

    private CgroupNetworkGuard(LibBpf libbpf, LibC libc, BpfObject object, Consumer<Event> sink, String sessionId,
                               String principal) {
        this.libbpf = libbpf;
        this.libc = libc;
        this.object = object;
        this.config = object.map("net_config");
        for (int i = 0; i < 2; i++) {
            v4[i] = object.map("net_v4_" + i);
            v6[i] = object.map("net_v6_" + i);
            sets[i] = object.map("net_sets_" + i);
        }
        this.pinV4 = object.map("net_pin_v4");
        this.pinV6 = object.map("net_pin_v6");
        this.pinSets = object.map("net_pin_sets");
        for (int i = 0; i < MAX_PINS; i++) {
            freePinSlots.add(i);
        }
        this.sink = sink;
        this.decoder = new NetworkGuardEventDecoder(sessionId, principal, libc.bootToWallOffsetNanos());
        this.events = new LibbpfRingPoller(libbpf, libc, object.map("guard_events"), "tether-net-guard-" + sessionId,
                Duration.ofMillis(100), this::onRecord);
    }

    /**
     * Loads the guard, applies {@code rules} and attaches it to the cgroup at {@code cgroupDir}:
     * rules are in place before the first connect can happen.
     */
    public static CgroupNetworkGuard attach(LibBpf libbpf, LibC libc, Path cgroupDir, NetworkRules rules, long generation,
                                            Mode mode, Options options, Consumer<Event> sink, String sessionId,
                                            String principal) {
        return attach(load(libbpf), libbpf, libc, cgroupDir, rules, generation, mode, options, sink, sessionId, principal);
    }

    /** The guard's object loaded into the kernel (verified), nothing attached: a spare tether loads it ahead. */
    public static BpfObject load(LibBpf libbpf) {
        BpfObject opened = BpfObject.open(libbpf, "net_guard");
        try {
            return opened.load();
        } catch (RuntimeException e) {
            opened.close();
            throw e;
        }
    }

    /** Fills and attaches the guard on an object {@link #load} made; on failure the object is closed. */
    public static CgroupNetworkGuard attach(BpfObject loaded, LibBpf libbpf, LibC libc, Path cgroupDir, NetworkRules rules,
                                            long generation, Mode mode, Options options, Consumer<Event> sink,
                                            String sessionId, String principal) {
        BpfObject obj = loaded;
        CgroupNetworkGuard guard;
        try {
            if (!obj.name().equals("net_guard")) {
                throw new IllegalArgumentException("not the network guard's object: " + obj.name());
            }
            guard = new CgroupNetworkGuard(libbpf, libc, obj, sink, sessionId, principal);
            guard.apply(rules, generation, mode, options);
            int fd = libc.open(cgroupDir.toString(), LibC.O_RDONLY | LibC.O_DIRECTORY);
            try {
                for (String p : PROGRAMS) {
                    obj.attachCgroup(p, fd);
                }
            } finally {
                libc.close(fd);
            }
        } catch (RuntimeException e) {
            obj.close();
            throw e;
        }
        guard.events.start();
        return guard;
    }

    /**
     * Makes {@code rules} the ones in force: fills the inactive set, then flips to it.
     *
     * @throws UnenforceableNetworkPolicyException when the rules do not fit the kernel maps; the
     *     rules in force stay as they were
     */
    public synchronized void apply(NetworkRules rules, long generation, Mode mode, Options options) {
        List<NetworkRules.LpmEntry> entries = withDns(withLoopbackGuard(rules.entries(), options.hostLoopback()),
                rules, options.dnsServers());
        if (entries.size() > MAX_PREFIXES) {
            throw new UnenforceableNetworkPolicyException("the policy names " + entries.size()
                    + " address prefixes; the kernel guard holds " + MAX_PREFIXES);
        }
        Map<PolicyRef, Integer> index = new HashMap<>();
        List<PolicyRef> table = new ArrayList<>();
        for (NetworkRules.LpmEntry e : entries) {
            if (e.rules().size() > MAX_RULES) {
                throw new UnenforceableNetworkPolicyException(e.rules().size() + " rules apply to " + e.prefix()
                        + "; the kernel guard holds " + MAX_RULES + " per prefix: merge port ranges or split the prefix");
            }
            for (NetworkRules.Rule r : e.rules()) {
                if (r.source() != null && !index.containsKey(r.source())) {
                    index.put(r.source(), table.size());
                    table.add(r.source());
                }
            }
        }
        int next = 1 - active;
        clear(v4[next], 8);
        clear(v6[next], 20);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment set = a.allocate(RULE_SET_BYTES, 8);
            MemorySegment idx = a.allocate(4, 4);
            for (int i = 0; i < entries.size(); i++) {
                NetworkRules.LpmEntry e = entries.get(i);
                fillRuleSet(set, e.rules(), index::get);
                idx.set(ValueLayout.JAVA_INT, 0, i);
                sets[next].put(idx, set);
                byte[] addr = e.prefix().network().getAddress();
                MemorySegment key = a.allocate(4 + addr.length, 4);
                key.set(ValueLayout.JAVA_INT, 0, e.prefix().length());
                MemorySegment.copy(addr, 0, key, ValueLayout.JAVA_BYTE, 4, addr.length);
                (addr.length == 4 ? v4[next] : v6[next]).put(key, idx);
            }
            policyTables.put(generation, List.copyOf(table));
            while (policyTables.size() > 4) {
                policyTables.remove(policyTables.keySet().iterator().next());
            }
            MemorySegment cfg = a.allocate(16, 4);
            cfg.set(ValueLayout.JAVA_INT, 0, next);
            cfg.set(ValueLayout.JAVA_INT, 4, mode == Mode.ENFORCE ? 0 : mode == Mode.SHADOW ? 1 : 2);
            cfg.set(ValueLayout.JAVA_INT, 8, options.proxyPorts() ? 1 : 0);
            cfg.set(ValueLayout.JAVA_INT, 12, (int) generation);
            config.put(a.allocateFrom(ValueLayout.JAVA_INT, 0), cfg); // the flip: one array element
        }
        active = next;
        loopbackGuarded = options.hostLoopback();
    }

    /**
     * Pins {@code address} (learnt through tether's DNS) to {@code rules}, the complete rule list
     * for the names that resolved to it; replaces an earlier pin of the same address.
     *
     * @return false when the rules do not fit the kernel maps or the pin table is full (the
     *     address is then decided by the prefix rules alone: nothing is opened)
     */
    public synchronized boolean pin(InetAddress address, List<NetworkRules.Rule> rules) {
        if (rules.size() > MAX_RULES) {
            return false;
        }
        Integer slot = pinSlots.get(address);
        if (slot == null) {
            slot = freePinSlots.poll();
            if (slot == null) {
                return false;
            }
        }
        try (Arena a = Arena.ofConfined()) {
            MemorySegment set = a.allocate(RULE_SET_BYTES, 8);
            fillRuleSet(set, rules, ref -> {
                Integer i = pinIndex.get(ref);
                if (i == null && pinTable.size() < 0x7ffe) {
                    i = pinTable.size();
                    pinIndex.put(ref, i);
                    pinTable.add(ref);
                }
                return i == null ? NO_POLICY : PIN_POLICY | i;
            });
            pinSets.put(a.allocateFrom(ValueLayout.JAVA_INT, slot), set);
            byte[] addr = address.getAddress();
            MemorySegment key = a.allocateFrom(ValueLayout.JAVA_BYTE, addr);
            (addr.length == 4 ? pinV4 : pinV6).put(key, a.allocateFrom(ValueLayout.JAVA_INT, slot));
        }
        pinSlots.put(address, slot);
        return true;
    }

    /**
     * {@link #pin(InetAddress, List)}, remembering the names the address was resolved from: the
     * guard's events for it then carry the hostname (when one name) and name them in the reason.
     */
    public synchronized boolean pin(InetAddress address, List<NetworkRules.Rule> rules, java.util.Collection<String> names) {
        if (!pin(address, rules)) {
            return false;
        }
        pinNames.put(address, names.stream().sorted().toList());
        return true;
    }

    /** Removes the pin of {@code address}, if any. */
    public synchronized void unpin(InetAddress address) {
        pinNames.remove(address);
        Integer slot = pinSlots.remove(address);
        if (slot == null) {
            return;
        }
        try (Arena a = Arena.ofConfined()) {
            byte[] addr = address.getAddress();
            (addr.length == 4 ? pinV4 : pinV6).delete(a.allocateFrom(ValueLayout.JAVA_BYTE, addr));
        }
        freePinSlots.add(slot);
    }

    private static void fillRuleSet(MemorySegment set, List<NetworkRules.Rule> rules,
                                    java.util.function.ToIntFunction<PolicyRef> policyIndex) {
        set.fill((byte) 0);
        set.set(ValueLayout.JAVA_INT, 0, rules.size());
        for (int r = 0; r < rules.size(); r++) {
            NetworkRules.Rule rule = rules.get(r);
            long off = 8 + r * 8L;
            set.set(ValueLayout.JAVA_BYTE, off, (byte) (rule.effect() == NetworkRules.Effect.PERMIT ? 1 : 2));
            set.set(ValueLayout.JAVA_BYTE, off + 1, (byte) (rule.transport() == null ? 0 : rule.transport() == Transport.TCP ? 1 : 2));
            set.set(ValueLayout.JAVA_SHORT, off + 2, (short) (rule.source() == null ? NO_POLICY : policyIndex.applyAsInt(rule.source())));
            set.set(ValueLayout.JAVA_SHORT, off + 4, (short) rule.portFrom());
            set.set(ValueLayout.JAVA_SHORT, off + 6, (short) rule.portTo());
        }
    }

    /**
     * When the sandbox shares the host's network namespace, its loopback is the host's (tether's
     * control API listens there). Those prefixes get a forbid of tether's own unless the policy has
     * an entry for exactly that prefix; more specific entries the policy has still win.
     */
    static List<NetworkRules.LpmEntry> withLoopbackGuard(List<NetworkRules.LpmEntry> entries, boolean hostLoopback) {
        if (!hostLoopback) {
            return entries;
        }
        List<NetworkRules.LpmEntry> out = new ArrayList<>(entries);
        for (String cidr : List.of("127.0.0.0/8", "0.0.0.0/8", "::1/128", "::/128")) {
            NetworkRules.Prefix p = prefix(cidr);
            if (entries.stream().noneMatch(e -> e.prefix().equals(p))) {
                out.add(new NetworkRules.LpmEntry(p,
                        List.of(new NetworkRules.Rule(NetworkRules.Effect.FORBID, 0, 65535, null, null))));
            }
        }
        return out;
    }

    /**
     * An entry for each resolver address holding the rules that covered it plus a permit of port
     * 53 (TCP and UDP): the policy's forbids on it still match first.
     */
    static List<NetworkRules.LpmEntry> withDns(List<NetworkRules.LpmEntry> entries, NetworkRules rules,
                                               List<InetAddress> dnsServers) {
        if (dnsServers.isEmpty()) {
            return entries;
        }
        List<NetworkRules.LpmEntry> out = new ArrayList<>(entries);
        for (InetAddress dns : dnsServers) {
            NetworkRules.Prefix host = new NetworkRules.Prefix(dns, dns.getAddress().length * 8);
            NetworkRules.LpmEntry covering = null;
            for (NetworkRules.LpmEntry e : out) {
                if (e.prefix().contains(dns) && (covering == null || e.prefix().length() > covering.prefix().length())) {
                    covering = e;
                }
            }
            List<NetworkRules.Rule> merged = new ArrayList<>(covering == null ? List.of() : covering.rules());
            merged.add(new NetworkRules.Rule(NetworkRules.Effect.PERMIT, 53, 53, null, null));
            if (covering != null && covering.prefix().equals(host)) {
                out.remove(covering);
            }
            out.add(new NetworkRules.LpmEntry(host, merged));
        }
        return out;
    }

    private static NetworkRules.Prefix prefix(String cidr) {
        int slash = cidr.indexOf('/');
        try {
            return new NetworkRules.Prefix(InetAddress.getByName(cidr.substring(0, slash)),
                    Integer.parseInt(cidr.substring(slash + 1)));
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(cidr, e);
        }
    }

    private void clear(BpfMap map, int keySize) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment key = a.allocate(keySize, 4);
            List<byte[]> keys = new ArrayList<>();
            MemorySegment prev = MemorySegment.NULL;
            while (libbpf.mapNextKey(map.fd(), prev, key)) {
                keys.add(key.toArray(ValueLayout.JAVA_BYTE));
                prev = a.allocate(keySize, 4);
                MemorySegment.copy(key, 0, prev, 0, keySize);
            }
            for (byte[] k : keys) {
                map.delete(a.allocateFrom(ValueLayout.JAVA_BYTE, k));
            }
        }
    }

    /** One decision record from the kernel (the guard already decided; a bad record is dropped). */
    private void onRecord(MemorySegment record) {
        Event e = decoder.decode(record, g -> policyTables.getOrDefault(g, List.of()), pinTable, pinNames::get, loopbackGuarded);
        if (e != null) {
            sink.accept(e);
        }
    }

    @Override
    public void close() {
        object.detachAll();
        events.close();
        object.close();
    }
}
