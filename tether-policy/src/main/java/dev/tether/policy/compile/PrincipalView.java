package dev.tether.policy.compile;

import dev.tether.policy.Action;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Everything one principal can be granted or refused, per action: the statements whose
 * principal and action scope can hold for it, compiled with those parts folded away and
 * indexed by resource. Immutable once built.
 */
final class PrincipalView {
    final Table[] tables = new Table[Action.values().length];
    /** HttpRewrite permits that fix a header and value, with their compiled conditions. */
    final List<Candidate> rewritePermits = new ArrayList<>();
    final List<Candidate> rewriteForbids = new ArrayList<>();
    private final Object networkRulesLock = new Object();
    private volatile dev.tether.policy.NetworkRules networkRules;

    PrincipalView(String agent, String session, Set<String> teams, List<CompiledPolicy> policies) {
        for (Action a : Action.values()) {
            Facts facts = new Facts(agent, session, teams, a);
            CondCompiler cc = new CondCompiler(facts);
            List<Candidate> cands = new ArrayList<>();
            for (CompiledPolicy p : policies) {
                Cond c = cc.bool(p.parsed().condition());
                if (c == Cond.FALSE) {
                    continue;
                }
                Candidate cand = new Candidate(p, c);
                cands.add(cand);
                if (a == Action.HTTP_REWRITE) {
                    if (!p.permit()) {
                        rewriteForbids.add(cand);
                    } else if (p.header() != null && p.value() != null) {
                        rewritePermits.add(cand);
                    }
                }
            }
            tables[a.ordinal()] = Table.build(facts.kind(), cands);
        }
    }

    Table table(Action a) {
        return tables[a.ordinal()];
    }

    dev.tether.policy.NetworkRules networkRules(java.util.function.Supplier<dev.tether.policy.NetworkRules> build) {
        dev.tether.policy.NetworkRules r = networkRules;
        if (r == null) {
            synchronized (networkRulesLock) {
                r = networkRules;
                if (r == null) {
                    r = build.get();
                    networkRules = r;
                }
            }
        }
        return r;
    }
}
