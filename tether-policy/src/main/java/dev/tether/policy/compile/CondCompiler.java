package dev.tether.policy.compile;

import dev.tether.policy.ir.EntityRef;
import dev.tether.policy.ir.Expr;
import dev.tether.policy.model.HostId;
import dev.tether.policy.model.HostNames;
import dev.tether.policy.model.PathNames;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Compiles a statement's condition for one principal and one action: principal and action
 * tests become constants (partial evaluation), resource tests become matchers for the
 * request kind, and what remains is folded. Exact because validated statements cannot raise
 * evaluation errors, so reordering and dropping constant operands never changes the result.
 */
final class CondCompiler {
    private final Facts facts;

    CondCompiler(Facts facts) {
        this.facts = facts;
    }

    Cond bool(Expr e) {
        return switch (e) {
            case Expr.Lit l when l.value() instanceof Boolean b -> b ? Cond.TRUE : Cond.FALSE;
            case Expr.And a -> {
                List<Cond> out = new ArrayList<>();
                for (Expr x : a.args()) {
                    Cond c = bool(x);
                    if (c == Cond.FALSE) {
                        yield Cond.FALSE;
                    }
                    if (c != Cond.TRUE) {
                        out.add(c);
                    }
                }
                yield out.isEmpty() ? Cond.TRUE : Cond.and(out);
            }
            case Expr.Or o -> {
                List<Cond> out = new ArrayList<>();
                for (Expr x : o.args()) {
                    Cond c = bool(x);
                    if (c == Cond.TRUE) {
                        yield Cond.TRUE;
                    }
                    if (c != Cond.FALSE) {
                        out.add(c);
                    }
                }
                yield Cond.or(out);
            }
            case Expr.Not n -> {
                Cond c = bool(n.arg());
                if (c instanceof Cond.Const k) {
                    yield k.value() ? Cond.FALSE : Cond.TRUE;
                }
                if (c instanceof Cond.NotC inner) {
                    yield inner.arg();
                }
                yield new Cond.NotC(c);
            }
            case Expr.If i -> {
                Cond c = bool(i.cond());
                if (c instanceof Cond.Const k) {
                    yield k.value() ? bool(i.then()) : bool(i.otherwise());
                }
                yield new Cond.IfC(c, bool(i.then()), bool(i.otherwise()));
            }
            case Expr.Eq q -> eq(q);
            case Expr.In in -> in(in);
            case Expr.Is is -> is(is);
            case Expr.Cmp c -> {
                Val l = val(c.left());
                Val r = val(c.right());
                if (l instanceof Val.LitV a && r instanceof Val.LitV b && a.value() instanceof Long x
                        && b.value() instanceof Long y) {
                    yield c.op().test(x, y) ? Cond.TRUE : Cond.FALSE;
                }
                yield new Cond.CmpC(c.op(), l, r);
            }
            case Expr.Like lk -> {
                Val l = val(lk.left());
                if (l instanceof Val.LitV a && a.value() instanceof String s) {
                    yield lk.pattern().matches(s) ? Cond.TRUE : Cond.FALSE;
                }
                yield new Cond.LikeC(l, lk.pattern());
            }
            case Expr.SetCall sc -> {
                Cond c = new Cond.SetC(sc.op(), val(sc.set()), val(sc.arg()));
                yield constant(c);
            }
            case Expr.IsEmpty ie -> constant(new Cond.IsEmptyC(val(ie.set())));
            case Expr.HasAttr h -> {
                if (h.target() instanceof Expr.VarRef v && v.var() == Expr.Var.CONTEXT) {
                    yield facts.contextAttributes().contains(h.attr()) ? Cond.TRUE : Cond.FALSE;
                }
                yield new Cond.HasC(val(h.target()), h.attr());
            }
            default -> {
                Val v = val(e);
                if (v instanceof Val.LitV l && l.value() instanceof Boolean b) {
                    yield b ? Cond.TRUE : Cond.FALSE;
                }
                if (v instanceof Val.CondV cv) {
                    yield cv.cond();
                }
                yield new Cond.FromVal(v);
            }
        };
    }

    /** Folds a condition whose operands are all literals by evaluating it once. */
    private static Cond constant(Cond c) {
        boolean allLit = switch (c) {
            case Cond.SetC s -> s.set() instanceof Val.LitV && s.arg() instanceof Val.LitV;
            case Cond.IsEmptyC s -> s.set() instanceof Val.LitV;
            default -> false;
        };
        if (!allLit) {
            return c;
        }
        try {
            return c.test(null) ? Cond.TRUE : Cond.FALSE;
        } catch (EvalError err) {
            return c;
        }
    }

    Val val(Expr e) {
        return switch (e) {
            case Expr.Lit l -> new Val.LitV(l.value());
            case Expr.GetAttr g -> {
                if (g.target() instanceof Expr.VarRef v && v.var() == Expr.Var.CONTEXT) {
                    yield new Val.ContextV(g.attr());
                }
                yield new Val.AttrV(val(g.target()), g.attr());
            }
            case Expr.SetLit s -> {
                List<Val> els = new ArrayList<>();
                boolean allLit = true;
                for (Expr x : s.elements()) {
                    Val v = val(x);
                    allLit &= v instanceof Val.LitV;
                    els.add(v);
                }
                Val.SetV sv = new Val.SetV(els.toArray(Val[]::new));
                yield allLit ? new Val.LitV(sv.eval(null)) : sv;
            }
            case Expr.If i -> {
                Cond c = bool(i.cond());
                if (c instanceof Cond.Const k) {
                    yield k.value() ? val(i.then()) : val(i.otherwise());
                }
                yield new Val.IfV(c, val(i.then()), val(i.otherwise()));
            }
            case Expr.VarRef v -> throw new IllegalStateException("entity variable outside a comparison: " + v);
            default -> {
                Cond c = bool(e);
                if (c instanceof Cond.Const k) {
                    yield new Val.LitV(k.value());
                }
                yield new Val.CondV(c);
            }
        };
    }

    private Cond eq(Expr.Eq q) {
        if (q.left() instanceof Expr.VarRef v && q.right() instanceof Expr.Lit l && l.value() instanceof EntityRef r) {
            return varEq(v.var(), r);
        }
        if (q.right() instanceof Expr.VarRef v && q.left() instanceof Expr.Lit l && l.value() instanceof EntityRef r) {
            return varEq(v.var(), r);
        }
        Val l = val(q.left());
        Val r = val(q.right());
        if (l instanceof Val.LitV a && r instanceof Val.LitV b) {
            return a.value().equals(b.value()) ? Cond.TRUE : Cond.FALSE;
        }
        return new Cond.EqC(l, r);
    }

    private Cond varEq(Expr.Var var, EntityRef r) {
        return switch (var) {
            case PRINCIPAL -> facts.principalEq(r) ? Cond.TRUE : Cond.FALSE;
            case ACTION -> facts.actionEq(r) ? Cond.TRUE : Cond.FALSE;
            case RESOURCE -> resourceEq(r);
            case CONTEXT -> Cond.FALSE;
        };
    }

    /** The entity literals on the right of {@code in}: one entity, a literal set, or a set expression of literals. */
    private static List<EntityRef> entities(Expr right) {
        List<EntityRef> out = new ArrayList<>();
        if (right instanceof Expr.Lit l) {
            if (l.value() instanceof EntityRef r) {
                out.add(r);
            } else if (l.value() instanceof Set<?> s) {
                for (Object o : s) {
                    if (!(o instanceof EntityRef r)) {
                        return null;
                    }
                    out.add(r);
                }
            } else {
                return null;
            }
            return out;
        }
        if (right instanceof Expr.SetLit s) {
            for (Expr x : s.elements()) {
                if (!(x instanceof Expr.Lit l) || !(l.value() instanceof EntityRef r)) {
                    return null;
                }
                out.add(r);
            }
            return out;
        }
        return null;
    }

    private Cond in(Expr.In in) {
        if (!(in.left() instanceof Expr.VarRef v)) {
            throw new IllegalStateException("in with a non-variable on the left");
        }
        List<EntityRef> targets = entities(in.right());
        if (targets == null) {
            throw new IllegalStateException("in with a non-literal on the right");
        }
        List<Cond> out = new ArrayList<>();
        for (EntityRef r : targets) {
            Cond c = varIn(v.var(), r);
            if (c == Cond.TRUE) {
                return Cond.TRUE;
            }
            if (c != Cond.FALSE && !out.contains(c)) {
                out.add(c);
            }
        }
        return Cond.or(out);
    }

    private Cond varIn(Expr.Var var, EntityRef r) {
        return switch (var) {
            case PRINCIPAL -> facts.principalIn(r) ? Cond.TRUE : Cond.FALSE;
            case ACTION -> facts.actionIn(r) ? Cond.TRUE : Cond.FALSE;
            case RESOURCE -> resourceIn(r);
            case CONTEXT -> Cond.FALSE;
        };
    }

    private Cond is(Expr.Is is) {
        if (!(is.left() instanceof Expr.VarRef v)) {
            throw new IllegalStateException("is with a non-variable on the left");
        }
        Cond typeOk = switch (v.var()) {
            case PRINCIPAL -> is.type().equals("Agent") ? Cond.TRUE : Cond.FALSE;
            case ACTION -> is.type().equals("Action") ? Cond.TRUE : Cond.FALSE;
            case RESOURCE -> resourceIs(is.type());
            case CONTEXT -> Cond.FALSE;
        };
        if (is.inExpr() == null || typeOk == Cond.FALSE) {
            return typeOk;
        }
        Cond inC = in(new Expr.In(is.left(), is.inExpr()));
        if (typeOk == Cond.TRUE) {
            return inC;
        }
        if (inC == Cond.FALSE) {
            return Cond.FALSE;
        }
        return inC == Cond.TRUE ? typeOk : new Cond.AndC(new Cond[] {typeOk, inC});
    }

    private Cond resourceIs(String type) {
        return switch (facts.kind()) {
            case PATH -> type.equals("File") ? Cond.TRUE : Cond.FALSE;
            case NET -> type.equals("Host") ? Cond.TRUE : Cond.FALSE;
            case MCP -> switch (type) {
                case "MCP::Tool" -> new Cond.NotC(new Cond.McpServerOnly());
                case "MCP::Server" -> new Cond.McpServerOnly();
                default -> Cond.FALSE;
            };
        };
    }

    private Cond resourceEq(EntityRef r) {
        return switch (facts.kind()) {
            case PATH -> r.type().equals("File") && PathNames.isCanonicalFile(r.id()) ? new Cond.FileIs(r.id()) : Cond.FALSE;
            case NET -> r.type().equals("Host") ? new Cond.HostPrimary(r.id()) : Cond.FALSE;
            case MCP -> switch (r.type()) {
                case "MCP::Tool" -> new Cond.McpTool(r.id());
                case "MCP::Server" -> new Cond.AndC(new Cond[] {new Cond.McpServerOnly(), new Cond.McpServer(r.id())});
                default -> Cond.FALSE;
            };
        };
    }

    private Cond resourceIn(EntityRef r) {
        return switch (facts.kind()) {
            case PATH -> switch (r.type()) {
                case "Dir" -> {
                    if (!PathNames.isCanonicalDir(r.id())) {
                        yield Cond.FALSE;
                    }
                    String d = r.id();
                    yield new Cond.UnderDir(d.length() > 1 && d.endsWith("/") ? d.substring(0, d.length() - 1) : d);
                }
                case "File" -> PathNames.isCanonicalFile(r.id()) ? new Cond.FileIs(r.id()) : Cond.FALSE;
                default -> Cond.FALSE;
            };
            case NET -> switch (r.type()) {
                case "Host" -> switch (HostNames.parseHost(r.id())) {
                    case HostId.Name n -> new Cond.HostName(n.name(), -1);
                    case HostId.NamePort n -> new Cond.HostName(n.name(), n.port());
                    case HostId.Wildcard w -> new Cond.HostWildcard(w.suffix(), -1);
                    case HostId.WildcardPort w -> new Cond.HostWildcard(w.suffix(), w.port());
                    case HostId.Ip ip -> new Cond.HostIp(ip.address(), -1);
                    case HostId.IpPort ip -> new Cond.HostIp(ip.address(), ip.port());
                    case HostId.Invalid inv -> Cond.FALSE;
                };
                case "DnsZone" -> HostNames.isValidName(r.id()) ? new Cond.Zone(r.id()) : Cond.FALSE;
                case "Net" -> {
                    if (!HostNames.isCanonicalCidr(r.id())) {
                        yield Cond.FALSE;
                    }
                    HostNames.Cidr c = HostNames.parseCidr(r.id());
                    yield new Cond.InNet(c.network(), c.length());
                }
                default -> Cond.FALSE;
            };
            case MCP -> switch (r.type()) {
                case "MCP::Server" -> new Cond.McpServer(r.id());
                case "MCP::Tool" -> new Cond.McpTool(r.id());
                default -> Cond.FALSE;
            };
        };
    }
}
