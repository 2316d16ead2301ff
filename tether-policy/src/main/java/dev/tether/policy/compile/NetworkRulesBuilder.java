package dev.tether.policy.compile;

import dev.tether.policy.NetworkRules;
import dev.tether.policy.NetworkRules.Effect;
import dev.tether.policy.NetworkRules.LpmEntry;
import dev.tether.policy.NetworkRules.Prefix;
import dev.tether.policy.NetworkRules.Rule;
import dev.tether.policy.PolicyRef;
import dev.tether.policy.Transport;
import dev.tether.policy.model.HostId;
import dev.tether.policy.model.HostNames;
import dev.tether.policy.model.Ips;
import dev.tether.policy.model.NetTarget;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Builds {@link NetworkRules} from the compiled {@code NetworkConnect} statements of one view.
 *
 * <p>Exactness argument: with no hostname, a condition depends on the address only through
 * prefix atoms, so it is constant across the addresses whose longest matching mentioned prefix
 * is the same LPM entry; any such address (a representative) stands for all of them. It depends
 * on the port only through comparisons with literals (there is no arithmetic in the compiled
 * subset), so it is constant between consecutive literal values; one port per such interval
 * stands for the interval. The builder therefore evaluates the real compiled condition at one
 * address per entry, one port per interval and both transports.
 */
final class NetworkRulesBuilder {
    private static final int MAX_PORT = 65535;

    private NetworkRulesBuilder() {}

    static NetworkRules build(List<Candidate> candidatesWithDuplicates) {
        Map<CompiledPolicy, Candidate> unique = new IdentityHashMap<>();
        List<Candidate> candidates = new ArrayList<>();
        for (Candidate c : candidatesWithDuplicates) {
            if (unique.putIfAbsent(c.policy(), c) == null) {
                candidates.add(c);
            }
        }
        candidates.sort((a, b) -> Integer.compare(a.policy().index(), b.policy().index()));

        Set<Prefix> mentioned = new LinkedHashSet<>();
        mentioned.add(new Prefix(addr(new byte[4]), 0));
        mentioned.add(new Prefix(addr(new byte[16]), 0));
        boolean hostnamePermits = false;
        boolean hostnameForbids = false;
        Set<PolicyRef> hostnameSources = new LinkedHashSet<>();
        List<int[]> intervals = new ArrayList<>();
        for (Candidate c : candidates) {
            Scan s = new Scan();
            s.cond(c.cond());
            mentioned.addAll(s.prefixes);
            intervals.add(intervals(s.numbers));
            if (s.hostname) {
                hostnameSources.add(c.policy().ref());
                if (c.policy().permit()) {
                    hostnamePermits = true;
                } else {
                    hostnameForbids = true;
                }
            }
        }
        List<Prefix> keys = new ArrayList<>(mentioned);
        keys.sort((a, b) -> {
            int f = Boolean.compare(a.isIpv6(), b.isIpv6());
            return f != 0 ? f : Integer.compare(a.length(), b.length());
        });
        List<LpmEntry> entries = new ArrayList<>();
        for (Prefix k : keys) {
            InetAddress rep = representative(k, keys);
            if (rep == null) {
                continue; // every address under k has a longer match
            }
            List<Rule> rules = new ArrayList<>();
            for (int i = 0; i < candidates.size(); i++) {
                addRules(rules, candidates.get(i), rep, intervals.get(i));
            }
            entries.add(new LpmEntry(k, rules));
        }
        return new NetworkRules(entries, hostnamePermits, hostnameForbids, List.copyOf(hostnameSources));
    }

    /**
     * The complete rule list for connections to {@code hostname} at {@code address}: every
     * statement's real condition evaluated with both bound, one port per literal interval and both
     * transports (the same exactness argument as {@link #build}, with the name fixed).
     */
    static List<Rule> rulesFor(List<Candidate> candidatesWithDuplicates, String hostname, InetAddress address) {
        Map<CompiledPolicy, Candidate> unique = new IdentityHashMap<>();
        List<Candidate> candidates = new ArrayList<>();
        for (Candidate c : candidatesWithDuplicates) {
            if (unique.putIfAbsent(c.policy(), c) == null) {
                candidates.add(c);
            }
        }
        candidates.sort((a, b) -> Integer.compare(a.policy().index(), b.policy().index()));
        StringBuilder why = new StringBuilder();
        NetTarget probe = NetTarget.of(hostname, address, 0, Transport.TCP, why);
        if (probe == null) {
            return List.of();
        }
        List<Rule> rules = new ArrayList<>();
        for (Candidate c : candidates) {
            Scan s = new Scan();
            s.cond(c.cond());
            addRules(rules, c, probe.hostname(), probe.address(), intervals(s.numbers));
        }
        return rules;
    }

    /** Interval start points: 0 and, for every literal v in port range, v and v + 1. */
    private static int[] intervals(Set<Long> numbers) {
        java.util.TreeSet<Integer> starts = new java.util.TreeSet<>();
        starts.add(0);
        for (long v : numbers) {
            if (v >= 0 && v <= MAX_PORT) {
                starts.add((int) v);
            }
            if (v + 1 >= 0 && v + 1 <= MAX_PORT) {
                starts.add((int) (v + 1));
            }
        }
        return starts.stream().mapToInt(Integer::intValue).toArray();
    }

    private static void addRules(List<Rule> out, Candidate c, InetAddress rep, int[] starts) {
        addRules(out, c, null, rep, starts);
    }

    private static void addRules(List<Rule> out, Candidate c, String hostname, InetAddress rep, int[] starts) {
        Effect effect = c.policy().permit() ? Effect.PERMIT : Effect.FORBID;
        boolean[][] hold = new boolean[2][starts.length];
        for (Transport t : Transport.values()) {
            for (int i = 0; i < starts.length; i++) {
                NetTarget target = new NetTarget(hostname, rep, starts[i], t, hostname != null ? hostname : Ips.format(rep));
                boolean ok;
                try {
                    ok = c.cond().test(new Env.NetEnv(target, null, null));
                } catch (EvalError e) {
                    ok = false;
                }
                hold[t.ordinal()][i] = ok;
            }
        }
        for (int i = 0; i < starts.length; ) {
            boolean tcp = hold[0][i];
            boolean udp = hold[1][i];
            int j = i + 1;
            while (j < starts.length && hold[0][j] == tcp && hold[1][j] == udp) {
                j++;
            }
            if (tcp || udp) {
                int to = j < starts.length ? starts[j] - 1 : MAX_PORT;
                Transport t = tcp && udp ? null : tcp ? Transport.TCP : Transport.UDP;
                out.add(new Rule(effect, starts[i], to, t, c.policy().ref()));
            }
            i = j;
        }
    }

    /** An address under {@code k} that no longer key covers, or null if there is none. */
    static InetAddress representative(Prefix k, List<Prefix> keys) {
        List<Prefix> inner = new ArrayList<>();
        for (Prefix p : keys) {
            if (p.length() > k.length() && k.covers(p)) {
                inner.add(p);
            }
        }
        return free(k.network().getAddress(), k.length(), inner);
    }

    private static InetAddress free(byte[] net, int len, List<Prefix> inner) {
        if (inner.isEmpty()) {
            return addr(net);
        }
        for (Prefix p : inner) {
            if (p.length() == len) {
                return null;
            }
        }
        int bits = net.length * 8;
        if (len >= bits) {
            return null;
        }
        for (int bit = 0; bit <= 1; bit++) {
            byte[] half = net.clone();
            if (bit == 1) {
                half[len / 8] |= (byte) (0x80 >>> (len % 8));
            }
            Prefix hp = new Prefix(addr(half), len + 1);
            List<Prefix> sub = new ArrayList<>();
            for (Prefix p : inner) {
                if (hp.covers(p)) {
                    sub.add(p);
                }
            }
            InetAddress found = free(half, len + 1, sub);
            if (found != null) {
                return found;
            }
        }
        return null;
    }

    private static InetAddress addr(byte[] b) {
        try {
            return InetAddress.getByAddress(b);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Prefix hostPrefix(InetAddress a) {
        return new Prefix(a, a.getAddress().length * 8);
    }

    /** Collects mentioned prefixes, number literals, and whether a condition tests the hostname. */
    private static final class Scan {
        final Set<Prefix> prefixes = new LinkedHashSet<>();
        final Set<Long> numbers = new java.util.HashSet<>();
        boolean hostname;

        void cond(Cond c) {
            switch (c) {
                case Cond.HostIp h -> {
                    prefixes.add(hostPrefix(h.address()));
                    if (h.port() >= 0) {
                        numbers.add((long) h.port());
                    }
                }
                case Cond.InNet n -> prefixes.add(new Prefix(n.network(), n.length()));
                case Cond.HostPrimary p -> {
                    if (HostNames.parseHost(p.id()) instanceof HostId.Ip ip) {
                        prefixes.add(hostPrefix(ip.address()));
                    } else {
                        hostname = true;
                    }
                }
                // Their ports matter once a host name is bound (rulesFor): keep them as interval bounds.
                case Cond.HostName h -> {
                    hostname = true;
                    if (h.port() >= 0) {
                        numbers.add((long) h.port());
                    }
                }
                case Cond.HostWildcard h -> {
                    hostname = true;
                    if (h.port() >= 0) {
                        numbers.add((long) h.port());
                    }
                }
                case Cond.Zone z -> hostname = true;
                case Cond.AndC a -> {
                    for (Cond x : a.args()) {
                        cond(x);
                    }
                }
                case Cond.OrC o -> {
                    for (Cond x : o.args()) {
                        cond(x);
                    }
                }
                case Cond.NotC n -> cond(n.arg());
                case Cond.IfC i -> {
                    cond(i.cond());
                    cond(i.then());
                    cond(i.otherwise());
                }
                case Cond.FromVal f -> val(f.val());
                case Cond.EqC e -> {
                    val(e.left());
                    val(e.right());
                }
                case Cond.CmpC e -> {
                    val(e.left());
                    val(e.right());
                }
                case Cond.LikeC e -> val(e.left());
                case Cond.SetC e -> {
                    val(e.set());
                    val(e.arg());
                }
                case Cond.IsEmptyC e -> val(e.set());
                case Cond.HasC e -> val(e.record());
                default -> {}
            }
        }

        void val(Val v) {
            switch (v) {
                case Val.LitV l -> literal(l.value());
                case Val.ContextV cv -> {
                    if (cv.attr().equals("hostname")) {
                        hostname = true;
                    }
                }
                case Val.CondV cv -> cond(cv.cond());
                case Val.IfV i -> {
                    cond(i.cond());
                    val(i.then());
                    val(i.otherwise());
                }
                case Val.SetV s -> {
                    for (Val x : s.elements()) {
                        val(x);
                    }
                }
                case Val.AttrV a -> val(a.record());
                default -> {}
            }
        }

        private void literal(Object o) {
            if (o instanceof Long n) {
                numbers.add(n);
            } else if (o instanceof Set<?> s) {
                s.forEach(this::literal);
            }
        }
    }
}
