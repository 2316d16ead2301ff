package dev.tether.policy.ir;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Translates Cedar's JSON policy format (EST, produced by cedar-java from the official parser)
 * into {@link Expr}. Everything outside the supported subset raises {@link Unsupported} with a
 * suggestion of what to write instead.
 */
public final class EstReader {
    private EstReader() {}

    public static ParsedPolicy read(int index, JsonNode est) throws Unsupported {
        boolean permit = "permit".equals(est.path("effect").asText());
        Map<String, String> annotations = new LinkedHashMap<>();
        JsonNode ann = est.path("annotations");
        for (Map.Entry<String, JsonNode> e : ann.properties()) {
            annotations.put(e.getKey(), e.getValue().isNull() ? "" : e.getValue().asText());
        }
        String id = annotations.getOrDefault("id", "policy" + index);
        Expr p = scope(est.path("principal"), Expr.Var.PRINCIPAL);
        Expr a = actionScope(est.path("action"));
        Expr r = scope(est.path("resource"), Expr.Var.RESOURCE);
        List<Expr> conds = new ArrayList<>();
        for (JsonNode c : est.path("conditions")) {
            Expr body = expr(c.path("body"));
            conds.add("unless".equals(c.path("kind").asText()) ? new Expr.Not(body) : body);
        }
        return new ParsedPolicy(index, id, permit, annotations, p, a, r, conds);
    }

    private static Expr scope(JsonNode s, Expr.Var var) throws Unsupported {
        Expr v = new Expr.VarRef(var);
        String op = s.path("op").asText();
        if (s.has("slot")) {
            throw slot();
        }
        return switch (op) {
            case "All" -> Expr.TRUE;
            case "==" -> new Expr.Eq(v, new Expr.Lit(entity(s.path("entity"))));
            case "in" -> new Expr.In(v, new Expr.Lit(entity(s.path("entity"))));
            case "is" -> {
                JsonNode in = s.path("in");
                if (in.has("slot")) {
                    throw slot();
                }
                Expr inExpr = in.isMissingNode() ? null : new Expr.Lit(entity(in.path("entity")));
                yield new Expr.Is(v, s.path("entity_type").asText(), inExpr);
            }
            default -> throw new Unsupported("TP020", "unsupported scope operator " + op, "", null);
        };
    }

    private static Expr actionScope(JsonNode s) throws Unsupported {
        Expr v = new Expr.VarRef(Expr.Var.ACTION);
        String op = s.path("op").asText();
        return switch (op) {
            case "All" -> Expr.TRUE;
            case "==" -> new Expr.Eq(v, new Expr.Lit(entity(s.path("entity"))));
            case "in" -> {
                if (s.has("entities")) {
                    Set<Object> set = new HashSet<>();
                    for (JsonNode e : s.path("entities")) {
                        set.add(entity(e));
                    }
                    yield new Expr.In(v, new Expr.Lit(Set.copyOf(set)));
                }
                yield new Expr.In(v, new Expr.Lit(entity(s.path("entity"))));
            }
            default -> throw new Unsupported("TP020", "unsupported action scope operator " + op, "", null);
        };
    }

    private static Unsupported slot() {
        return new Unsupported("TP020", "policy templates (?principal, ?resource) are not supported",
                "write the entity itself, e.g. principal == Agent::\"claude\"", "?");
    }

    private static EntityRef entity(JsonNode e) throws Unsupported {
        JsonNode inner = e.has("__entity") ? e.path("__entity") : e;
        if (!inner.path("type").isTextual() || !inner.path("id").isTextual()) {
            throw new Unsupported("TP020", "expected an entity literal", "", null);
        }
        return new EntityRef(inner.path("type").asText(), inner.path("id").asText());
    }

    static Expr expr(JsonNode n) throws Unsupported {
        if (!n.isObject() || n.size() != 1) {
            throw new Unsupported("TP020", "unexpected expression " + n, "", null);
        }
        Map.Entry<String, JsonNode> e = n.properties().iterator().next();
        String key = e.getKey();
        JsonNode b = e.getValue();
        return switch (key) {
            case "Value" -> new Expr.Lit(value(b));
            case "Var" -> switch (b.asText()) {
                case "principal" -> new Expr.VarRef(Expr.Var.PRINCIPAL);
                case "action" -> new Expr.VarRef(Expr.Var.ACTION);
                case "resource" -> new Expr.VarRef(Expr.Var.RESOURCE);
                case "context" -> new Expr.VarRef(Expr.Var.CONTEXT);
                default -> throw new Unsupported("TP020", "unknown variable " + b.asText(), "", null);
            };
            case "Slot" -> throw slot();
            case "Unknown" -> throw new Unsupported("TP020", "unknowns are not supported", "", null);
            case "!" -> new Expr.Not(expr(b.path("arg")));
            case "neg", "+", "-", "*" -> throw new Unsupported("TP020",
                    "arithmetic (" + (key.equals("neg") ? "unary -" : key) + ") is not supported",
                    "compare with literals instead, e.g. context.port >= 1024",
                    key.equals("neg") ? "-" : key);
            case "&&" -> flatten(b, "&&", true);
            case "||" -> flatten(b, "||", false);
            case "==" -> new Expr.Eq(expr(b.path("left")), expr(b.path("right")));
            case "!=" -> new Expr.Not(new Expr.Eq(expr(b.path("left")), expr(b.path("right"))));
            case "<" -> new Expr.Cmp(Expr.CmpOp.LT, expr(b.path("left")), expr(b.path("right")));
            case "<=" -> new Expr.Cmp(Expr.CmpOp.LE, expr(b.path("left")), expr(b.path("right")));
            case ">" -> new Expr.Cmp(Expr.CmpOp.GT, expr(b.path("left")), expr(b.path("right")));
            case ">=" -> new Expr.Cmp(Expr.CmpOp.GE, expr(b.path("left")), expr(b.path("right")));
            case "in" -> new Expr.In(expr(b.path("left")), expr(b.path("right")));
            case "contains" -> new Expr.SetCall(Expr.SetOp.CONTAINS, expr(b.path("left")), expr(b.path("right")));
            case "containsAll" -> new Expr.SetCall(Expr.SetOp.CONTAINS_ALL, expr(b.path("left")), expr(b.path("right")));
            case "containsAny" -> new Expr.SetCall(Expr.SetOp.CONTAINS_ANY, expr(b.path("left")), expr(b.path("right")));
            case "isEmpty" -> new Expr.IsEmpty(expr(b.path("arg")));
            case "getTag", "hasTag" -> throw new Unsupported("TP020", key + "() is not supported",
                    "tether's entities carry no tags; test context attributes instead", key);
            case "." -> new Expr.GetAttr(expr(b.path("left")), b.path("attr").asText());
            case "has" -> has(b);
            case "like" -> new Expr.Like(expr(b.path("left")), pattern(b.path("pattern")));
            case "is" -> {
                Expr in = b.has("in") ? expr(b.path("in")) : null;
                yield new Expr.Is(expr(b.path("left")), b.path("entity_type").asText(), in);
            }
            case "if-then-else" -> new Expr.If(expr(b.path("if")), expr(b.path("then")), expr(b.path("else")));
            case "Set" -> {
                List<Expr> els = new ArrayList<>();
                for (JsonNode x : b) {
                    els.add(expr(x));
                }
                yield new Expr.SetLit(els);
            }
            case "Record" -> throw new Unsupported("TP020", "record literals are not supported",
                    "compare attributes one at a time, e.g. context.arguments.mode == \"read\"", "{");
            default -> throw extension(key);
        };
    }

    private static Unsupported extension(String fn) {
        String suggestion = switch (fn) {
            case "ip", "isIpv4", "isIpv6", "isLoopback", "isMulticast", "isInRange" ->
                    "write resource in Net::\"10.0.0.0/8\" or resource in Host::\"10.1.2.3\" instead of ip functions";
            default -> "tether compiles only entity, string, number, boolean and set conditions";
        };
        return new Unsupported("TP020", "extension function " + fn + "() is not supported", suggestion, fn);
    }

    private static Expr has(JsonNode b) throws Unsupported {
        Expr left = expr(b.path("left"));
        JsonNode attr = b.path("attr");
        if (attr.isArray()) {
            // `e has a.b` is sugar for `e has a && e.a has b`
            List<Expr> parts = new ArrayList<>();
            Expr target = left;
            for (JsonNode a : attr) {
                parts.add(new Expr.HasAttr(target, a.asText()));
                target = new Expr.GetAttr(target, a.asText());
            }
            return parts.size() == 1 ? parts.get(0) : new Expr.And(parts);
        }
        return new Expr.HasAttr(left, attr.asText());
    }

    /** Flattens left-leaning chains of one operator without recursion (chains can be long). */
    private static Expr flatten(JsonNode b, String op, boolean and) throws Unsupported {
        List<JsonNode> rights = new ArrayList<>();
        JsonNode cur = b;
        while (true) {
            rights.add(cur.path("right"));
            JsonNode left = cur.path("left");
            if (left.isObject() && left.size() == 1 && left.has(op)) {
                cur = left.path(op);
            } else {
                rights.add(left);
                break;
            }
        }
        List<Expr> args = new ArrayList<>(rights.size());
        for (int i = rights.size() - 1; i >= 0; i--) {
            Expr x = expr(rights.get(i));
            if (and && x instanceof Expr.And inner) {
                args.addAll(inner.args());
            } else if (!and && x instanceof Expr.Or inner) {
                args.addAll(inner.args());
            } else {
                args.add(x);
            }
        }
        return and ? new Expr.And(args) : new Expr.Or(args);
    }

    private static LikePattern pattern(JsonNode p) throws Unsupported {
        List<String> parts = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        for (JsonNode el : p) {
            if (el.isTextual() && el.asText().equals("Wildcard")) {
                parts.add(cur.toString());
                cur.setLength(0);
            } else if (el.has("Literal")) {
                cur.append(el.path("Literal").asText());
            } else {
                throw new Unsupported("TP020", "unexpected like pattern element " + el, "", "like");
            }
        }
        parts.add(cur.toString());
        return new LikePattern(parts);
    }

    static Object value(JsonNode v) throws Unsupported {
        if (v.isBoolean()) {
            return v.booleanValue();
        }
        if (v.isIntegralNumber()) {
            return v.longValue();
        }
        if (v.isTextual()) {
            return v.textValue();
        }
        if (v.isArray()) {
            Set<Object> s = new HashSet<>();
            for (JsonNode x : v) {
                s.add(value(x));
            }
            return Set.copyOf(s);
        }
        if (v.isObject() && v.has("__entity")) {
            return entity(v);
        }
        if (v.isObject() && v.has("__extn")) {
            throw extension(v.path("__extn").path("fn").asText());
        }
        throw new Unsupported("TP020", "record literals are not supported",
                "compare attributes one at a time", "{");
    }
}
