package dev.tether.policy.ir;

import java.util.List;

/**
 * The subset of Cedar expressions tether compiles exactly. Values are plain Java objects:
 * {@link Boolean}, {@link Long}, {@link String}, {@link EntityRef}, an immutable {@link java.util.Set}
 * of values, or an immutable {@link java.util.Map} (record). Anything outside this subset is
 * rejected when the EST is read, with a located explanation.
 */
public sealed interface Expr {
    enum Var {
        PRINCIPAL,
        ACTION,
        RESOURCE,
        CONTEXT
    }

    enum CmpOp {
        LT("<"),
        LE("<="),
        GT(">"),
        GE(">=");

        public final String symbol;

        CmpOp(String symbol) {
            this.symbol = symbol;
        }

        public boolean test(long a, long b) {
            return switch (this) {
                case LT -> a < b;
                case LE -> a <= b;
                case GT -> a > b;
                case GE -> a >= b;
            };
        }
    }

    enum SetOp {
        CONTAINS("contains"),
        CONTAINS_ALL("containsAll"),
        CONTAINS_ANY("containsAny");

        public final String method;

        SetOp(String method) {
            this.method = method;
        }
    }

    record Lit(Object value) implements Expr {}

    record VarRef(Var var) implements Expr {}

    record GetAttr(Expr target, String attr) implements Expr {}

    record HasAttr(Expr target, String attr) implements Expr {}

    record Not(Expr arg) implements Expr {}

    /** n-ary, evaluated left to right with short-circuit (Cedar's {@code &&} chain, flattened). */
    record And(List<Expr> args) implements Expr {
        public And {
            args = List.copyOf(args);
        }
    }

    record Or(List<Expr> args) implements Expr {
        public Or {
            args = List.copyOf(args);
        }
    }

    record If(Expr cond, Expr then, Expr otherwise) implements Expr {}

    record Eq(Expr left, Expr right) implements Expr {}

    record Cmp(CmpOp op, Expr left, Expr right) implements Expr {}

    /** Entity membership: {@code left in right}, right an entity or a set of entities. */
    record In(Expr left, Expr right) implements Expr {}

    /** {@code left is type [in inExpr]}; {@code inExpr} may be null. */
    record Is(Expr left, String type, Expr inExpr) implements Expr {}

    record Like(Expr left, LikePattern pattern) implements Expr {}

    record SetCall(SetOp op, Expr set, Expr arg) implements Expr {}

    record IsEmpty(Expr set) implements Expr {}

    record SetLit(List<Expr> elements) implements Expr {
        public SetLit {
            elements = List.copyOf(elements);
        }
    }

    Lit TRUE = new Lit(Boolean.TRUE);
    Lit FALSE = new Lit(Boolean.FALSE);
}
