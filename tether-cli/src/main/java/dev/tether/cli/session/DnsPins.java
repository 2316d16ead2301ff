package dev.tether.cli.session;

import dev.tether.policy.NetworkRules;
import java.net.InetAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * The addresses the sandbox learnt through tether's DNS and the names it learnt them from, kept
 * in the kernel guard's pin maps: an address is decided by the union of the rules for every live
 * name that resolved to it ({@code PolicySnapshot.networkRules(principal, name, address)}), so a
 * {@code Host::"api.github.com:443"} permit holds for the addresses DNS gave for that name, and
 * only for as long as the answer lives (at least {@link #MIN_LIFETIME}).
 *
 * <p>Thread-safe; every change to the kernel happens under this object's lock.
 */
public final class DnsPins {
    /** How long a pin lives at least, whatever the answer's TTL (clients cache beyond small TTLs). */
    public static final Duration MIN_LIFETIME = Duration.ofSeconds(300);

    /** Where pins go: the kernel guard ({@code CgroupNetworkGuard::pin} / {@code ::unpin}). */
    public interface Target {
        /**
         * @param names the live names the address was resolved from (for the guard's events)
         * @return false when the rules do not fit or the table is full
         */
        boolean pin(InetAddress address, List<NetworkRules.Rule> rules, Set<String> names);

        void unpin(InetAddress address);
    }

    /** The rules for connections to {@code address} resolved from {@code name}, under the policy in force. */
    public interface Rules {
        List<NetworkRules.Rule> forName(String name, InetAddress address);
    }

    private final Target target;
    private final Supplier<Rules> rules;
    private final Supplier<Instant> clock;
    private final Duration minLifetime;
    private volatile Set<InetAddress> reserved = Set.of();
    /** address -> (name -> expiry) */
    private final Map<InetAddress, Map<String, Instant>> live = new HashMap<>();

    /**
     * @param rules the rules of the policy in force, read on every pin (so a reload is seen)
     */
    public DnsPins(Target target, Supplier<Rules> rules, Supplier<Instant> clock, Duration minLifetime) {
        this.target = target;
        this.rules = rules;
        this.clock = clock;
        this.minLifetime = minLifetime;
    }

    public DnsPins(Target target, Supplier<Rules> rules) {
        this(target, rules, Instant::now, MIN_LIFETIME);
    }

    /**
     * Addresses never pinned (the sandbox's gateway, where its DNS goes): an answer naming them
     * goes through and they stay decided by the address rules, so a name cannot take the
     * resolver's port-53 permit away (or add rules to it).
     */
    public DnsPins reserve(java.util.Collection<InetAddress> addresses) {
        this.reserved = Set.copyOf(addresses);
        return this;
    }

    /** The policy's spelling of a DNS name: lower case, no trailing dot. */
    static String normalize(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        return n.endsWith(".") ? n.substring(0, n.length() - 1) : n;
    }

    /**
     * Pins {@code address} as an answer for {@code name} with time to live {@code ttlSeconds}
     * (kept at least the minimum lifetime); the address's rules become the union over all its
     * live names.
     *
     * @return false when the kernel refused the pin (the caller must not hand out the address);
     *     what was pinned before for the address stays
     */
    public synchronized boolean pin(String name, InetAddress address, long ttlSeconds) {
        if (reserved.contains(address)) {
            return true;
        }
        String n = normalize(name);
        Instant now = clock.get();
        Instant expiry = now.plus(Duration.ofSeconds(Math.max(0, Math.min(ttlSeconds, 7 * 86400L))));
        Instant floor = now.plus(minLifetime);
        if (expiry.isBefore(floor)) {
            expiry = floor;
        }
        Map<String, Instant> names = live.get(address);
        if (names != null && names.containsKey(n)) {
            // Same names, same policy (a reload recomputes every pin): the kernel has the rules already.
            names.merge(n, expiry, (a, b) -> a.isAfter(b) ? a : b);
            return true;
        }
        Map<String, Instant> next = names == null ? new HashMap<>() : new HashMap<>(names);
        next.put(n, expiry);
        if (!tryPin(address, next.keySet())) {
            return false;
        }
        live.put(address, next);
        return true;
    }

    /** The kernel's answer; a failing map update counts as a refusal. */
    private boolean tryPin(InetAddress address, Set<String> names) {
        try {
            return target.pin(address, union(address, names), Set.copyOf(names));
        } catch (RuntimeException e) {
            return false;
        }
    }

    private void tryUnpin(InetAddress address) {
        try {
            target.unpin(address);
        } catch (RuntimeException e) {
            // gone already, or the guard is closing: nothing left to decide with it
        }
    }

    private List<NetworkRules.Rule> union(InetAddress address, Set<String> names) {
        Rules r = rules.get();
        Set<NetworkRules.Rule> all = new LinkedHashSet<>();
        for (String n : names.stream().sorted().toList()) {
            all.addAll(r.forName(n, address));
        }
        return new ArrayList<>(all);
    }

    /**
     * Drops the names whose answers expired; an address left with no name is unpinned (decided by
     * the policy's address rules again), one with names left is re-pinned with their union.
     *
     * @return how many addresses were unpinned
     */
    public synchronized int expire() {
        Instant now = clock.get();
        int unpinned = 0;
        for (var it = live.entrySet().iterator(); it.hasNext(); ) {
            var e = it.next();
            boolean changed = e.getValue().values().removeIf(t -> !t.isAfter(now));
            if (e.getValue().isEmpty()) {
                tryUnpin(e.getKey());
                it.remove();
                unpinned++;
            } else if (changed && !tryPin(e.getKey(), e.getValue().keySet())) {
                // The narrower union did not fit: rather no pin (address rules) than a stale wider one.
                tryUnpin(e.getKey());
                it.remove();
                unpinned++;
            }
        }
        return unpinned;
    }

    /**
     * Recomputes every live pin under the policy in force now (after a reload); an address whose
     * new rules do not fit is unpinned, so it never keeps the old policy's rules.
     *
     * @return how many pins were recomputed
     */
    public synchronized int recompute() {
        int n = 0;
        for (var it = live.entrySet().iterator(); it.hasNext(); ) {
            var e = it.next();
            if (!tryPin(e.getKey(), e.getValue().keySet())) {
                tryUnpin(e.getKey());
                it.remove();
            } else {
                n++;
            }
        }
        return n;
    }

    /** Removes every pin (the session ends). */
    public synchronized void clear() {
        for (InetAddress a : live.keySet()) {
            tryUnpin(a);
        }
        live.clear();
    }

    /** The live names of {@code address} (for tests and diagnostics). */
    public synchronized Set<String> names(InetAddress address) {
        Map<String, Instant> m = live.get(address);
        return m == null ? Set.of() : Set.copyOf(m.keySet());
    }

    public synchronized int size() {
        return live.size();
    }
}
