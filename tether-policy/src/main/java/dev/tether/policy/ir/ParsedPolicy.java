package dev.tether.policy.ir;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One statement after Cedar parsed it and {@link EstReader} translated its EST. The scope parts
 * are expressions over {@code principal}, {@code action}, {@code resource} ({@code true} for an
 * unconstrained scope); {@code conditions} are the when bodies and the negated unless bodies.
 */
public record ParsedPolicy(
        int index,
        String id,
        boolean permit,
        Map<String, String> annotations,
        Expr principalScope,
        Expr actionScope,
        Expr resourceScope,
        List<Expr> conditions) {

    public ParsedPolicy {
        annotations = Map.copyOf(annotations);
        conditions = List.copyOf(conditions);
    }

    /** The whole policy as one boolean expression: scope, then conditions in order. */
    public Expr condition() {
        List<Expr> all = new ArrayList<>();
        all.add(principalScope);
        all.add(actionScope);
        all.add(resourceScope);
        all.addAll(conditions);
        return new Expr.And(all);
    }

    public String effectName() {
        return permit ? "permit" : "forbid";
    }
}
