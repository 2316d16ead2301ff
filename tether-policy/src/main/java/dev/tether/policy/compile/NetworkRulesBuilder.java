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
import java.util.BitSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Builds {@link NetworkRules} from the compiled {@code NetworkConnect} statements of one view.
 * For each LPM entry every address atom is a constant (does the atom's prefix cover the entry?),
 * leaving conditions on port and protocol only; those become port sets per transport. Port
 * and protocol comparisons with literals are read structurally; any other sub-condition is
 * evaluated for all 65,536 ports of both transports at a representative address of the entry,
 * which is exact because nothing else varies within an entry when the hostname is unknown.
 */
final class NetworkRulesBuilder {
    private static final int PORTS = 65536;

    private NetworkRulesBuilder() {}

    /** Port sets per transport. */
    private record Region(BitSet tcp, BitSet udp) {
        static Region all() {
            BitSet a = new BitSet(PORTS);
            a.set(0, PORTS);
            BitSet b = new BitSet(PORTS);
            b.set(0, PORTS);
            return new Region(a, b);
        }

        static Region none() {
            return new Region(new BitSet(PORTS), new BitSet(PORTS));
        }

        boolean isEmpty() {
            return tcp.isEmpty() && udp.isEmpty();
        }

        Region and(Region o) {
            BitSet a = (BitSet) tcp.clone();
            a.and(o.tcp);
            BitSet b = (BitSet) udp.clone();
            b.and(o.udp);
            return new Region(a, b);
        }

        Region or(Region o) {
            BitSet a = (BitSet) tcp.clone();
            a.or(o.tcp);
            BitSet b = (BitSet) udp.clone();
            b.or(o.udp);
            return new Region(a, b);
        }

        Region not() {
            BitSet a = (BitSet) tcp.clone();
            a.flip(0, PORTS);
            BitSet b = (BitSet) udp.clone();
            b.flip(0, PORTS);
            return new Region(a, b);
        }
    }

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
        for (Candidate c : candidates) {
            Scan s = new Scan();
            s.cond(c.cond());
            mentioned.addAll(s.prefixes);
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
            for (Candidate c : candidates) {
                Region r = new Evaluator(k, rep).cond(c.cond());
                if (!r.isEmpty()) {
                    addRules(rules, r, c.policy());
                }
            }
            entries.add(new LpmEntry(k, rules));
        }
        return new NetworkRules(entries, hostnamePermits, hostnameForbids, List.copyOf(hostnameSources));
    }

    private static void addRules(List<Rule> out, Region r, CompiledPolicy p) {
        Effect effect = p.permit() ? Effect.PERMIT : Effect.FORBID;
        BitSet both = (BitSet) r.tcp().clone();
        both.and(r.udp());
        BitSet tcpOnly = (BitSet) r.tcp().clone();
        tcpOnly.andNot(both);
        BitSet udpOnly = (BitSet) r.udp().clone();
        udpOnly.andNot(both);
        ranges(out, both, effect, null, p.ref());
        ranges(out, tcpOnly, effect, Transport.TCP, p.ref());
        ranges(out, udpOnly, effect, Transport.UDP, p.ref());
    }

    private static void ranges(List<Rule> out, BitSet s, Effect e, Transport t, PolicyRef ref) {
        for (int from = s.nextSetBit(0); from >= 0; ) {
            int to = s.nextClearBit(from) - 1;
            out.add(new Rule(e, from, to, t, ref));
            from = to + 1 < PORTS ? s.nextSetBit(to + 1) : -1;
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

    /** Collects mentioned prefixes and whether a condition depends on the hostname. */
    private static final class Scan {
        final Set<Prefix> prefixes = new LinkedHashSet<>();
        boolean hostname;

        void cond(Cond c) {
            switch (c) {
                case Cond.HostIp h -> prefixes.add(hostPrefix(h.address()));
                case Cond.InNet n -> prefixes.add(new Prefix(n.network(), n.length()));
                case Cond.HostPrimary p -> {
                    if (HostNames.parseHost(p.id()) instanceof HostId.Ip ip) {
                        prefixes.add(hostPrefix(ip.address()));
                    } else {
                        hostname = true;
                    }
                }
                case Cond.HostName h -> hostname = true;
                case Cond.HostWildcard h -> hostname = true;
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
    }

    /** Evaluates a condition to the ports/transports it allows for one LPM entry. */
    private static final class Evaluator {
        private final Prefix key;
        private final InetAddress rep;

        Evaluator(Prefix key, InetAddress rep) {
            this.key = key;
            this.rep = rep;
        }

        Region cond(Cond c) {
            return switch (c) {
                case Cond.Const k -> k.value() ? Region.all() : Region.none();
                case Cond.HostIp h -> {
                    if (!hostPrefix(h.address()).covers(key)) {
                        yield Region.none();
                    }
                    yield h.port() < 0 ? Region.all() : port(h.port(), h.port());
                }
                case Cond.InNet n -> new Prefix(n.network(), n.length()).covers(key) ? Region.all() : Region.none();
                case Cond.HostPrimary p -> HostNames.parseHost(p.id()) instanceof HostId.Ip ip
                        && hostPrefix(ip.address()).covers(key) ? Region.all() : Region.none();
                case Cond.HostName h -> Region.none();
                case Cond.HostWildcard h -> Region.none();
                case Cond.Zone z -> Region.none();
                case Cond.AndC a -> {
                    Region r = Region.all();
                    for (Cond x : a.args()) {
                        r = r.and(cond(x));
                        if (r.isEmpty()) {
                            break;
                        }
                    }
                    yield r;
                }
                case Cond.OrC o -> {
                    Region r = Region.none();
                    for (Cond x : o.args()) {
                        r = r.or(cond(x));
                    }
                    yield r;
                }
                case Cond.NotC n -> cond(n.arg()).not();
                case Cond.IfC i -> {
                    Region c0 = cond(i.cond());
                    yield c0.and(cond(i.then())).or(c0.not().and(cond(i.otherwise())));
                }
                default -> structural(c);
            };
        }

        private Region structural(Cond c) {
            if (c instanceof Cond.EqC e) {
                Region r = portEq(e.left(), e.right());
                if (r == null) {
                    r = portEq(e.right(), e.left());
                }
                if (r != null) {
                    return r;
                }
            }
            if (c instanceof Cond.CmpC cmp) {
                if (isPort(cmp.left()) && cmp.right() instanceof Val.LitV l && l.value() instanceof Long n) {
                    return cmpRegion(cmp.op(), n, false);
                }
                if (isPort(cmp.right()) && cmp.left() instanceof Val.LitV l && l.value() instanceof Long n) {
                    return cmpRegion(cmp.op(), n, true);
                }
            }
            return bruteForce(c);
        }

        private static boolean isPort(Val v) {
            return v instanceof Val.ContextV cv && cv.attr().equals("port");
        }

        private Region portEq(Val a, Val b) {
            if (a instanceof Val.ContextV cv && b instanceof Val.LitV l) {
                if (cv.attr().equals("port") && l.value() instanceof Long n) {
                    return n >= 0 && n < PORTS ? port(n.intValue(), n.intValue()) : Region.none();
                }
                if (cv.attr().equals("protocol") && l.value() instanceof String s) {
                    Region r = Region.all();
                    if (!s.equals("tcp")) {
                        r.tcp().clear();
                    }
                    if (!s.equals("udp")) {
                        r.udp().clear();
                    }
                    return r;
                }
            }
            return null;
        }

        /** Ports p with {@code p op n} ({@code n op p} when reversed). */
        private static Region cmpRegion(dev.tether.policy.ir.Expr.CmpOp op, long n, boolean reversed) {
            BitSet s = new BitSet(PORTS);
            for (int p = 0; p < PORTS; p++) {
                if (reversed ? op.test(n, p) : op.test(p, n)) {
                    s.set(p);
                }
            }
            return new Region(s, (BitSet) s.clone());
        }

        private static Region port(int from, int to) {
            BitSet s = new BitSet(PORTS);
            s.set(from, to + 1);
            return new Region(s, (BitSet) s.clone());
        }

        /** Exact fallback: evaluate the condition for every port and transport. */
        private Region bruteForce(Cond c) {
            Region r = Region.none();
            for (Transport t : Transport.values()) {
                BitSet s = t == Transport.TCP ? r.tcp() : r.udp();
                for (int p = 0; p < PORTS; p++) {
                    NetTarget target = new NetTarget(null, rep, p, t, Ips.format(rep));
                    boolean ok;
                    try {
                        ok = c.test(new Env.NetEnv(target, null, null));
                    } catch (EvalError e) {
                        ok = false;
                    }
                    if (ok) {
                        s.set(p);
                    }
                }
            }
            return r;
        }
    }
}
