package dev.tether.policy.compile;

import java.util.ArrayList;
import java.util.List;

/**
 * Finds, for a compiled condition, resource atoms at least one of which must hold whenever the
 * condition holds. The statement is filed under those atoms' index keys, so a request only
 * evaluates statements that can concern its resource. Null means no such set exists (the
 * statement is evaluated for every request of the action).
 */
final class Anchors {
    private Anchors() {}

    static List<Cond> of(Cond c) {
        return switch (c) {
            case Cond.UnderDir a -> List.of(a);
            case Cond.FileIs a -> List.of(a);
            case Cond.HostName a -> List.of(a);
            case Cond.HostWildcard a -> List.of(a);
            case Cond.Zone a -> List.of(a);
            case Cond.HostIp a -> List.of(a);
            case Cond.InNet a -> List.of(a);
            case Cond.HostPrimary a -> List.of(a);
            case Cond.McpServer a -> List.of(a);
            case Cond.McpTool a -> List.of(a);
            case Cond.AndC and -> {
                List<Cond> best = null;
                for (Cond x : and.args()) {
                    List<Cond> a = of(x);
                    if (a != null && (best == null || a.size() < best.size())) {
                        best = a;
                    }
                }
                yield best;
            }
            case Cond.OrC or -> {
                List<Cond> all = new ArrayList<>();
                for (Cond x : or.args()) {
                    List<Cond> a = of(x);
                    if (a == null) {
                        yield null;
                    }
                    all.addAll(a);
                }
                yield all;
            }
            case Cond.IfC i -> {
                List<Cond> t = of(i.then());
                List<Cond> e = of(i.otherwise());
                if (t == null || e == null) {
                    yield null;
                }
                List<Cond> all = new ArrayList<>(t);
                all.addAll(e);
                yield all;
            }
            default -> null;
        };
    }
}
