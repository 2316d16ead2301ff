package dev.tether.policy.compile;

import dev.tether.policy.Action;
import dev.tether.policy.PermitBounds;
import dev.tether.policy.PermitBounds.PermittedPath;
import dev.tether.policy.PermitBounds.PortRange;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Builds {@link PermitBounds} from one principal view's compiled permits.
 *
 * <p>Paths: the resource anchors the index already uses ({@link Anchors}: atoms at least one of
 * which holds whenever the condition holds), so a request a permit allows is always under one
 * of its anchors; a permit without anchors reaches {@code /}. Ports: the port literals of host
 * atoms, combined as the condition combines them (a conjunction holds only where every part
 * does, a disjunction where any does); anything else may hold on any port.
 */
final class PermitBoundsBuilder {
    private PermitBoundsBuilder() {}

    static PermitBounds build(PrincipalView view) {
        List<PermittedPath> reads = paths(view.table(Action.FILE_OPEN_READ_ONLY).all());
        List<PermittedPath> writes = paths(view.table(Action.FILE_OPEN_READ_WRITE).all());
        List<PermittedPath> execs = paths(view.table(Action.PROCESS_EXEC).all());
        Set<Integer> ports = new TreeSet<>();
        boolean any = false;
        for (Candidate c : permits(view.table(Action.NETWORK_CONNECT).all())) {
            Set<Integer> p = ports(c.cond());
            if (p == null) {
                any = true;
                break;
            }
            ports.addAll(p);
        }
        return new PermitBounds(reads, writes, execs, any, any ? List.of() : ranges(ports));
    }

    /** Where the forbids on reading or writing a file can match: their path anchors, as for permits. */
    static List<PermittedPath> forbiddenFileReach(PrincipalView view) {
        // Per action: a statement compiles to a different condition for each (the action is folded in).
        Set<PermittedPath> out = new LinkedHashSet<>(reach(statements(view.table(Action.FILE_OPEN_READ_ONLY).all(), false)));
        out.addAll(reach(statements(view.table(Action.FILE_OPEN_READ_WRITE).all(), false)));
        return List.copyOf(out);
    }

    /** The permits among {@code candidates}, each once (a table files a candidate under every anchor), in file order. */
    private static List<Candidate> permits(List<Candidate> candidates) {
        return statements(candidates, true);
    }

    /** The permits (or forbids) among {@code candidates}, each once, in file order. */
    private static List<Candidate> statements(List<Candidate> candidates, boolean permit) {
        Map<CompiledPolicy, Candidate> unique = new IdentityHashMap<>();
        List<Candidate> out = new ArrayList<>();
        for (Candidate c : candidates) {
            if (c.policy().permit() == permit && unique.putIfAbsent(c.policy(), c) == null) {
                out.add(c);
            }
        }
        out.sort((a, b) -> Integer.compare(a.policy().index(), b.policy().index()));
        return out;
    }

    private static List<PermittedPath> paths(List<Candidate> candidates) {
        return reach(permits(candidates));
    }

    /** The path anchors of {@code statements}; one without anchors reaches {@code /}. */
    private static List<PermittedPath> reach(List<Candidate> statements) {
        Set<PermittedPath> out = new LinkedHashSet<>();
        for (Candidate c : statements) {
            List<Cond> anchors = Anchors.of(c.cond());
            if (anchors == null) {
                out.add(new PermittedPath("/", true, c.policy().ref()));
                continue;
            }
            for (Cond a : anchors) {
                switch (a) {
                    case Cond.UnderDir d -> out.add(new PermittedPath(d.dir(), true, c.policy().ref()));
                    case Cond.FileIs f -> out.add(new PermittedPath(f.path(), false, c.policy().ref()));
                    // Not a path atom: cannot bound it, so it reaches everything.
                    default -> out.add(new PermittedPath("/", true, c.policy().ref()));
                }
            }
        }
        return List.copyOf(out);
    }

    /** The ports on which {@code c} can hold, or null for any port. */
    static Set<Integer> ports(Cond c) {
        return switch (c) {
            case Cond.Const k -> k.value() ? null : Set.of();
            case Cond.HostName h -> h.port() < 0 ? null : Set.of(h.port());
            case Cond.HostWildcard h -> h.port() < 0 ? null : Set.of(h.port());
            case Cond.HostIp h -> h.port() < 0 ? null : Set.of(h.port());
            case Cond.AndC and -> {
                Set<Integer> meet = null;
                for (Cond x : and.args()) {
                    Set<Integer> p = ports(x);
                    if (p != null) {
                        if (meet == null) {
                            meet = new TreeSet<>(p);
                        } else {
                            meet.retainAll(p);
                        }
                    }
                }
                yield meet;
            }
            case Cond.OrC or -> {
                Set<Integer> join = new TreeSet<>();
                for (Cond x : or.args()) {
                    Set<Integer> p = ports(x);
                    if (p == null) {
                        yield null;
                    }
                    join.addAll(p);
                }
                yield join;
            }
            case Cond.IfC i -> {
                Set<Integer> t = ports(i.then());
                Set<Integer> e = ports(i.otherwise());
                if (t == null || e == null) {
                    yield null;
                }
                Set<Integer> join = new TreeSet<>(t);
                join.addAll(e);
                yield join;
            }
            default -> null;
        };
    }

    private static List<PortRange> ranges(Set<Integer> sorted) {
        List<PortRange> out = new ArrayList<>();
        int from = -1;
        int to = -1;
        for (int p : sorted) {
            if (from >= 0 && p == to + 1) {
                to = p;
                continue;
            }
            if (from >= 0) {
                out.add(new PortRange(from, to));
            }
            from = p;
            to = p;
        }
        if (from >= 0) {
            out.add(new PortRange(from, to));
        }
        return out;
    }
}
