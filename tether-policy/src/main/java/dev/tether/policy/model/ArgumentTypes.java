package dev.tether.policy.model;

import dev.tether.policy.ir.EntityRef;
import dev.tether.policy.ir.Expr;
import dev.tether.policy.ir.ParsedPolicy;
import dev.tether.policy.ir.Unsupported;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Infers the type of every {@code context.arguments...} attribute from how statements use it:
 * compared with a string or matched with {@code like} makes it a String, compared with a number
 * or ordered makes it a Long, used as a condition makes it a Bool, {@code .contains("x")} makes
 * it a Set of String, reading a sub-attribute makes it a record, and {@code has} alone makes it
 * a String. Two different uses of one attribute are an error.
 */
public final class ArgumentTypes {
    private final Map<List<String>, ArgType> leaf = new LinkedHashMap<>();
    private final Map<List<String>, Boolean> records = new HashMap<>();
    private final Map<List<String>, Boolean> presenceOnly = new LinkedHashMap<>();
    private int statement;
    private final Map<Integer, Unsupported> problems = new LinkedHashMap<>();

    private ArgumentTypes() {}

    /** The inferred record type, and per statement index the first problem found in it. */
    public record Inference(ArgType.Rec type, Map<Integer, Unsupported> problems) {}

    public static Inference infer(List<ParsedPolicy> policies) {
        ArgumentTypes t = new ArgumentTypes();
        for (ParsedPolicy p : policies) {
            t.statement = p.index();
            try {
                for (Expr c : p.conditions()) {
                    t.visit(c, ArgType.Prim.BOOL);
                }
            } catch (Unsupported u) {
                t.problems.putIfAbsent(p.index(), u);
            }
        }
        return new Inference(t.build(List.of()), t.problems);
    }

    private ArgType.Rec build(List<String> prefix) {
        Map<String, ArgType> attrs = new LinkedHashMap<>();
        Set<List<String>> keys = new java.util.LinkedHashSet<>();
        keys.addAll(leaf.keySet());
        keys.addAll(records.keySet());
        keys.addAll(presenceOnly.keySet());
        for (List<String> k : keys) {
            if (k.size() == prefix.size() + 1 && k.subList(0, prefix.size()).equals(prefix)) {
                String name = k.get(k.size() - 1);
                if (records.containsKey(k)) {
                    attrs.put(name, build(k));
                } else if (leaf.containsKey(k)) {
                    attrs.put(name, leaf.get(k));
                } else {
                    attrs.put(name, ArgType.Prim.STRING);
                }
            }
        }
        return new ArgType.Rec(attrs);
    }

    /** The attribute path below {@code context.arguments}, or null if {@code e} is not one. */
    public static List<String> argPath(Expr e) {
        List<String> rev = new ArrayList<>();
        Expr cur = e;
        while (cur instanceof Expr.GetAttr g) {
            if (g.target() instanceof Expr.VarRef v && v.var() == Expr.Var.CONTEXT) {
                if (!g.attr().equals("arguments")) {
                    return null;
                }
                List<String> path = new ArrayList<>(rev.size());
                for (int i = rev.size() - 1; i >= 0; i--) {
                    path.add(rev.get(i));
                }
                return path;
            }
            rev.add(g.attr());
            cur = g.target();
        }
        return null;
    }

    private void record(List<String> path, ArgType type) throws Unsupported {
        if (path.isEmpty()) {
            if (!(type instanceof ArgType.Rec)) {
                throw new Unsupported("TP021", "context.arguments is a record and cannot be used as " + type.describe(),
                        "test one argument, e.g. context.arguments.path like \"/tmp/*\"", "arguments");
            }
            return;
        }
        for (int i = 1; i < path.size(); i++) {
            markRecord(path.subList(0, i));
        }
        List<String> key = List.copyOf(path);
        if (type instanceof ArgType.Rec) {
            markRecord(key);
            return;
        }
        if (records.containsKey(key)) {
            throw conflict(key, "record", type.describe());
        }
        ArgType prev = leaf.putIfAbsent(key, type);
        if (prev != null && !prev.equals(type)) {
            throw conflict(key, prev.describe(), type.describe());
        }
    }

    private void markRecord(List<String> key) throws Unsupported {
        List<String> k = List.copyOf(key);
        if (leaf.containsKey(k)) {
            throw conflict(k, leaf.get(k).describe(), "record");
        }
        for (int i = 1; i < k.size(); i++) {
            records.put(List.copyOf(k.subList(0, i)), true);
        }
        records.put(k, true);
    }

    private Unsupported conflict(List<String> key, String a, String b) {
        return new Unsupported("TP021", "context.arguments." + String.join(".", key) + " is used both as " + a
                + " and as " + b, "use each argument with one type throughout the policy", key.get(key.size() - 1));
    }

    private Unsupported unknown(List<String> path) {
        String name = path.isEmpty() ? "context.arguments" : "context.arguments." + String.join(".", path);
        return new Unsupported("TP021", "cannot tell the type of " + name + " from how it is used",
                "compare it with a literal (== \"text\", == 3, like \"*\") or use it as a condition",
                path.isEmpty() ? "arguments" : path.get(path.size() - 1));
    }

    private static ArgType literalType(Object v) {
        if (v instanceof String) {
            return ArgType.Prim.STRING;
        }
        if (v instanceof Long) {
            return ArgType.Prim.LONG;
        }
        if (v instanceof Boolean) {
            return ArgType.Prim.BOOL;
        }
        if (v instanceof Set<?> s) {
            ArgType.Prim el = null;
            for (Object x : s) {
                ArgType t = literalType(x);
                if (!(t instanceof ArgType.Prim p) || (el != null && el != p)) {
                    return null;
                }
                el = p;
            }
            return el == null ? null : new ArgType.SetOf(el);
        }
        return null;
    }

    /** The type of a constant expression (literal or set of literals), or null. */
    private static ArgType constType(Expr e) {
        if (e instanceof Expr.Lit l) {
            return l.value() instanceof EntityRef ? null : literalType(l.value());
        }
        if (e instanceof Expr.SetLit s) {
            ArgType.Prim el = null;
            for (Expr x : s.elements()) {
                ArgType t = constType(x);
                if (!(t instanceof ArgType.Prim p) || (el != null && el != p)) {
                    return null;
                }
                el = p;
            }
            return el == null ? null : new ArgType.SetOf(el);
        }
        return null;
    }

    private void visit(Expr e, ArgType expected) throws Unsupported {
        List<String> path = argPath(e);
        if (path != null) {
            if (expected == null) {
                throw unknown(path);
            }
            record(path, expected);
            return;
        }
        switch (e) {
            case Expr.Lit l -> {}
            case Expr.VarRef v -> {}
            case Expr.GetAttr g -> visit(g.target(), null);
            case Expr.HasAttr h -> {
                List<String> p = argPath(h.target());
                if (p != null) {
                    record(p, ArgType.EMPTY);
                    List<String> child = new ArrayList<>(p);
                    child.add(h.attr());
                    presenceOnly.putIfAbsent(List.copyOf(child), true);
                    for (int i = 1; i < child.size(); i++) {
                        markRecord(child.subList(0, i));
                    }
                } else if (h.target() instanceof Expr.VarRef) {
                    // context has arguments
                } else {
                    visit(h.target(), null);
                }
            }
            case Expr.Not n -> visit(n.arg(), ArgType.Prim.BOOL);
            case Expr.And a -> {
                for (Expr x : a.args()) {
                    visit(x, ArgType.Prim.BOOL);
                }
            }
            case Expr.Or o -> {
                for (Expr x : o.args()) {
                    visit(x, ArgType.Prim.BOOL);
                }
            }
            case Expr.If i -> {
                visit(i.cond(), ArgType.Prim.BOOL);
                visit(i.then(), expected);
                visit(i.otherwise(), expected);
            }
            case Expr.Eq q -> {
                ArgType lt = constType(q.left());
                ArgType rt = constType(q.right());
                visit(q.left(), rt);
                visit(q.right(), lt);
            }
            case Expr.Cmp c -> {
                visit(c.left(), ArgType.Prim.LONG);
                visit(c.right(), ArgType.Prim.LONG);
            }
            case Expr.In in -> {
                if (argPath(in.left()) != null || argPath(in.right()) != null) {
                    throw new Unsupported("TP021", "MCP arguments are not entities and cannot be used with in",
                            "compare them with == or like", "in");
                }
                visit(in.left(), null);
                visit(in.right(), null);
            }
            case Expr.Is is -> visit(is.left(), null);
            case Expr.Like lk -> visit(lk.left(), ArgType.Prim.STRING);
            case Expr.SetCall sc -> {
                ArgType argT = constType(sc.arg());
                ArgType setT = constType(sc.set());
                if (sc.op() == Expr.SetOp.CONTAINS) {
                    visit(sc.set(), argT instanceof ArgType.Prim p ? new ArgType.SetOf(p) : null);
                    visit(sc.arg(), setT instanceof ArgType.SetOf s ? s.element() : null);
                } else {
                    visit(sc.set(), argT);
                    visit(sc.arg(), setT);
                }
            }
            case Expr.IsEmpty ie -> visit(ie.set(), null);
            case Expr.SetLit s -> {
                for (Expr x : s.elements()) {
                    visit(x, null);
                }
            }
        }
    }
}
