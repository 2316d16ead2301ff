package dev.tether.policy.lint;

import dev.tether.policy.Action;
import dev.tether.policy.ir.EntityRef;
import dev.tether.policy.ir.Expr;
import dev.tether.policy.ir.ParsedPolicy;
import dev.tether.policy.model.HostId;
import dev.tether.policy.model.HostNames;
import dev.tether.policy.model.Ips;
import dev.tether.policy.model.PathNames;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * tether's own checks on parsed statements (Cedar's validator runs separately). Errors are
 * constructs that would be silently dead or that the compiler cannot enforce exactly; warnings
 * are legal but probably not what the author meant. Codes are listed in docs/policy.md.
 */
public final class Linter {
    private Linter() {}

    public static List<Issue> lint(List<ParsedPolicy> policies) {
        List<Issue> out = new ArrayList<>();
        Map<String, Integer> ids = new HashMap<>();
        for (ParsedPolicy p : policies) {
            Integer prev = ids.putIfAbsent(p.id(), p.index());
            if (prev != null) {
                out.add(Issue.error("TP023", p.index(), "id", "duplicate policy id \"" + p.id() + "\" (also statement "
                        + (prev + 1) + ")", "give every @id(...) a unique value"));
            }
            entityVariables(p, out);
            entityIds(p, out);
            resourceAndPrincipalUse(p, out);
            actions(p, out);
        }
        shadowing(policies, out);
        return out;
    }

    /** Entity variables may only be compared with entity literals; the compiler relies on it. */
    private static void entityVariables(ParsedPolicy p, List<Issue> out) {
        for (Expr c : p.conditions()) {
            checkVars(c, p.index(), out);
        }
    }

    private static void checkVars(Expr e, int st, List<Issue> out) {
        switch (e) {
            case Expr.VarRef v -> {
                String name = v.var().name().toLowerCase(Locale.ROOT);
                out.add(Issue.error("TP020", st, name, name + " can only be compared with entity literals here",
                        v.var() == Expr.Var.CONTEXT ? "read an attribute, e.g. context.argv"
                                : "write " + name + " == Type::\"id\", " + name + " in [...] or " + name + " is Type"));
            }
            case Expr.Eq q -> {
                if (isEntityVar(q.left()) && isEntityLit(q.right()) || isEntityVar(q.right()) && isEntityLit(q.left())) {
                    return;
                }
                checkVars(q.left(), st, out);
                checkVars(q.right(), st, out);
            }
            case Expr.In in -> {
                if (!isEntityVar(in.left())) {
                    out.add(Issue.error("TP020", st, "in", "the left side of in must be principal, action or resource",
                            "write resource in Dir::\"/path/\" (membership is only known for the request's entities)"));
                    return;
                }
                if (!isEntityLitOrSet(in.right())) {
                    out.add(Issue.error("TP020", st, "in", "the right side of in must be an entity or a list of entities",
                            "write resource in [Dir::\"/a/\", Dir::\"/b/\"]"));
                }
            }
            case Expr.Is is -> {
                if (!isEntityVar(is.left())) {
                    out.add(Issue.error("TP020", st, "is", "the left side of is must be principal, action or resource",
                            "write resource is File"));
                } else if (is.inExpr() != null && !isEntityLitOrSet(is.inExpr())) {
                    out.add(Issue.error("TP020", st, "in", "the right side of in must be an entity or a list of entities", ""));
                }
            }
            case Expr.GetAttr g -> {
                if (!(g.target() instanceof Expr.VarRef v && v.var() == Expr.Var.CONTEXT)) {
                    checkVars(g.target(), st, out);
                }
            }
            case Expr.HasAttr h -> {
                if (!(h.target() instanceof Expr.VarRef v && v.var() == Expr.Var.CONTEXT)) {
                    checkVars(h.target(), st, out);
                }
            }
            case Expr.Not n -> checkVars(n.arg(), st, out);
            case Expr.And a -> a.args().forEach(x -> checkVars(x, st, out));
            case Expr.Or o -> o.args().forEach(x -> checkVars(x, st, out));
            case Expr.If i -> {
                checkVars(i.cond(), st, out);
                checkVars(i.then(), st, out);
                checkVars(i.otherwise(), st, out);
            }
            case Expr.Cmp c -> {
                checkVars(c.left(), st, out);
                checkVars(c.right(), st, out);
            }
            case Expr.Like l -> checkVars(l.left(), st, out);
            case Expr.SetCall s -> {
                checkVars(s.set(), st, out);
                checkVars(s.arg(), st, out);
            }
            case Expr.IsEmpty s -> checkVars(s.set(), st, out);
            case Expr.SetLit s -> s.elements().forEach(x -> checkVars(x, st, out));
            case Expr.Lit l -> {}
        }
    }

    private static boolean isEntityVar(Expr e) {
        return e instanceof Expr.VarRef v && v.var() != Expr.Var.CONTEXT;
    }

    private static boolean isEntityLit(Expr e) {
        return e instanceof Expr.Lit l && l.value() instanceof EntityRef;
    }

    private static boolean isEntityLitOrSet(Expr e) {
        if (isEntityLit(e)) {
            return true;
        }
        if (e instanceof Expr.Lit l && l.value() instanceof Set<?> s) {
            return s.stream().allMatch(x -> x instanceof EntityRef);
        }
        if (e instanceof Expr.SetLit s) {
            return s.elements().stream().allMatch(Linter::isEntityLit);
        }
        return false;
    }

    /** Walks every entity literal of a statement. */
    public static void entities(Expr e, Consumer<EntityRef> f) {
        switch (e) {
            case Expr.Lit l -> {
                if (l.value() instanceof EntityRef r) {
                    f.accept(r);
                } else if (l.value() instanceof Set<?> s) {
                    s.forEach(x -> {
                        if (x instanceof EntityRef r) {
                            f.accept(r);
                        }
                    });
                }
            }
            case Expr.VarRef v -> {}
            case Expr.GetAttr g -> entities(g.target(), f);
            case Expr.HasAttr h -> entities(h.target(), f);
            case Expr.Not n -> entities(n.arg(), f);
            case Expr.And a -> a.args().forEach(x -> entities(x, f));
            case Expr.Or o -> o.args().forEach(x -> entities(x, f));
            case Expr.If i -> {
                entities(i.cond(), f);
                entities(i.then(), f);
                entities(i.otherwise(), f);
            }
            case Expr.Eq q -> {
                entities(q.left(), f);
                entities(q.right(), f);
            }
            case Expr.Cmp c -> {
                entities(c.left(), f);
                entities(c.right(), f);
            }
            case Expr.In in -> {
                entities(in.left(), f);
                entities(in.right(), f);
            }
            case Expr.Is is -> {
                entities(is.left(), f);
                if (is.inExpr() != null) {
                    entities(is.inExpr(), f);
                }
            }
            case Expr.Like l -> entities(l.left(), f);
            case Expr.SetCall s -> {
                entities(s.set(), f);
                entities(s.arg(), f);
            }
            case Expr.IsEmpty s -> entities(s.set(), f);
            case Expr.SetLit s -> s.elements().forEach(x -> entities(x, f));
        }
    }

    private static void entityIds(ParsedPolicy p, List<Issue> out) {
        java.util.Set<EntityRef> seen = new java.util.HashSet<>();
        entities(p.condition(), r -> {
            if (!seen.add(r)) {
                return;
            }
            String loc = r.toString();
            switch (r.type()) {
                case "Dir" -> {
                    if (!PathNames.isCanonicalDir(r.id())) {
                        String s = PathNames.suggestDir(r.id());
                        out.add(Issue.error("TP030", p.index(), loc, "Dir::\"" + r.id() + "\" is not a normalised absolute path, so it never matches",
                                s == null ? "write an absolute path ending in /, e.g. Dir::\"/workspace/\"" : "write Dir::\"" + s + "\""));
                    }
                }
                case "File" -> {
                    if (!PathNames.isCanonicalFile(r.id())) {
                        String n = PathNames.normalise(r.id());
                        String hint = n == null ? "write an absolute path, e.g. File::\"/etc/passwd\""
                                : r.id().endsWith("/") && !n.equals("/") ? "for a directory write Dir::\"" + n + "/\"" : "write File::\"" + n + "\"";
                        out.add(Issue.error("TP030", p.index(), loc, "File::\"" + r.id() + "\" is not a normalised absolute path, so it never matches", hint));
                    }
                }
                case "Host" -> {
                    if (HostNames.parseHost(r.id()) instanceof HostId.Invalid inv) {
                        out.add(Issue.error("TP031", p.index(), loc, "Host::\"" + r.id() + "\" is not a valid host: " + inv.reason(),
                                inv.suggestion().isEmpty()
                                        ? "write a name (example.com, *.example.com, example.com:443), an IPv4 address (10.1.2.3, 10.1.2.3:80) or an IPv6 address (::1, [::1]:8080)"
                                        : "write Host::\"" + inv.suggestion() + "\""));
                    }
                }
                case "Net" -> {
                    if (!HostNames.isCanonicalCidr(r.id())) {
                        HostNames.Cidr c = HostNames.parseCidr(r.id());
                        String hint;
                        if (c != null) {
                            hint = "write Net::\"" + HostNames.canonicalCidr(new HostNames.Cidr(Ips.unmap(c.network()),
                                    Ips.unmap(c.network()).getAddress().length == 4 && c.network().getAddress().length == 16
                                            ? Math.max(0, c.length() - 96) : c.length())) + "\"";
                        } else if (Ips.parse(r.id()) != null) {
                            hint = "write Host::\"" + Ips.format(Ips.unmap(Ips.parse(r.id()))) + "\" for one address, or add /length";
                        } else {
                            hint = "write address/length with the host bits zero, e.g. Net::\"10.0.0.0/8\" or Net::\"fd00::/8\"";
                        }
                        out.add(Issue.error("TP032", p.index(), loc, "Net::\"" + r.id() + "\" is not a canonical CIDR network, so it never matches", hint));
                    }
                }
                case "DnsZone" -> {
                    if (!HostNames.isValidName(r.id())) {
                        String fixed = r.id().toLowerCase(Locale.ROOT).replaceFirst("^\\*\\.", "").replaceFirst("\\.$", "");
                        out.add(Issue.error("TP033", p.index(), loc, "DnsZone::\"" + r.id() + "\" is not a lower-case DNS name, so it never matches",
                                HostNames.isValidName(fixed) ? "write DnsZone::\"" + fixed + "\" (a zone already covers every subdomain)"
                                        : "write a domain such as DnsZone::\"example.com\""));
                    }
                }
                default -> {}
            }
        });
    }

    private static void resourceAndPrincipalUse(ParsedPolicy p, List<Issue> out) {
        walk(p.condition(), e -> {
            if (e instanceof Expr.Eq q) {
                Expr.VarRef v = q.left() instanceof Expr.VarRef x ? x : q.right() instanceof Expr.VarRef y ? y : null;
                Expr other = v == q.left() ? q.right() : q.left();
                if (v == null || !(other instanceof Expr.Lit l) || !(l.value() instanceof EntityRef r)) {
                    return;
                }
                if (v.var() == Expr.Var.PRINCIPAL && !r.type().equals("Agent")) {
                    out.add(Issue.error("TP040", p.index(), r.toString(), "principal is always an Agent, so principal == " + r + " never matches",
                            "write principal in " + r + " (agents are members of their session and teams)"));
                }
                if (v.var() == Expr.Var.RESOURCE) {
                    String why = switch (r.type()) {
                        case "Dir" -> "the resource of a file or exec request is a File, never a Dir";
                        case "DnsZone", "Net" -> "the resource of a network request is a Host, never a " + r.type();
                        case "Host" -> switch (HostNames.parseHost(r.id())) {
                            case HostId.NamePort n -> "a request's Host has no port; the port is a parent";
                            case HostId.IpPort n -> "a request's Host has no port; the port is a parent";
                            case HostId.Wildcard n -> "a request's Host is a concrete name, never a wildcard";
                            case HostId.WildcardPort n -> "a request's Host is a concrete name, never a wildcard";
                            default -> null;
                        };
                        default -> null;
                    };
                    if (why != null) {
                        out.add(Issue.error("TP041", p.index(), r.toString(), "resource == " + r + " never matches: " + why,
                                "write resource in " + r));
                    }
                }
            }
        });
    }

    private static void actions(ParsedPolicy p, List<Issue> out) {
        Set<Action> opens = actionSet(p);
        opens.retainAll(EnumSet.of(Action.FILE_OPEN, Action.FILE_OPEN_READ_ONLY, Action.FILE_OPEN_READ_WRITE));
        if (opens.equals(EnumSet.of(Action.FILE_OPEN)) && p.actionScope() != Expr.TRUE) {
            out.add(Issue.warning("TP052", p.index(), "FileOpen",
                    "Action::\"FileOpen\" only matches opens whose access mode is unknown; reading is "
                            + "FileOpenReadOnly and writing is FileOpenReadWrite",
                    "list the modes you mean: action in [Action::\"FileOpenReadOnly\", Action::\"FileOpenReadWrite\"]"));
        }
        Set<Action> acts = actionSet(p);
        boolean unconditional = p.conditions().isEmpty() && p.principalScope() == Expr.TRUE
                && p.resourceScope() == Expr.TRUE;
        if (p.permit() && unconditional && acts.size() == Action.values().length) {
            out.add(Issue.warning("TP058", p.index(), "permit",
                    "this statement permits every action on every resource (nothing else can be denied except by forbid)",
                    "fine for discovery (--mode permissive is the better tool); for enforcement list what the agent needs"));
        }
        if (acts.contains(Action.HTTP_REWRITE) && p.actionScope() != Expr.TRUE && p.permit()) {
            String header = literal(p, "header");
            String value = literal(p, "value");
            if (header == null || value == null) {
                out.add(Issue.error("TP022", p.index(), "HttpRewrite",
                        "an HttpRewrite permit must fix the header and its value",
                        "add when { context.header == \"Authorization\" && context.value == \"secret:API_TOKEN\" }"));
            } else if (!value.startsWith("secret:") && header.toLowerCase(Locale.ROOT).matches(".*(auth|token|key|secret|cookie|password).*")) {
                out.add(Issue.warning("TP057", p.index(), value,
                        "the value of " + header + " is written in the policy file",
                        "write context.value == \"secret:NAME\" and give the proxy the secret NAME; the policy stays shareable"));
            }
        }
    }

    /** The literal a top-level conjunct {@code context.<attr> == "..."} fixes, or null. */
    public static String literal(ParsedPolicy p, String attr) {
        for (Expr c : p.conditions()) {
            List<Expr> conj = c instanceof Expr.And a ? a.args() : List.of(c);
            for (Expr x : conj) {
                if (x instanceof Expr.Eq q) {
                    String s = ctxEqLiteral(q.left(), q.right(), attr);
                    if (s == null) {
                        s = ctxEqLiteral(q.right(), q.left(), attr);
                    }
                    if (s != null) {
                        return s;
                    }
                }
            }
        }
        return null;
    }

    private static String ctxEqLiteral(Expr a, Expr b, String attr) {
        if (a instanceof Expr.GetAttr g && g.attr().equals(attr) && g.target() instanceof Expr.VarRef v
                && v.var() == Expr.Var.CONTEXT && b instanceof Expr.Lit l && l.value() instanceof String s) {
            return s;
        }
        return null;
    }

    /** The actions a statement's action scope admits. */
    public static Set<Action> actionSet(ParsedPolicy p) {
        Set<Action> s = EnumSet.noneOf(Action.class);
        for (Action a : Action.values()) {
            if (actionHolds(p.actionScope(), a)) {
                s.add(a);
            }
        }
        return s;
    }

    private static boolean actionHolds(Expr scope, Action a) {
        EntityRef me = new EntityRef("Action", a.cedarName());
        return switch (scope) {
            case Expr.Lit l -> Boolean.TRUE.equals(l.value());
            case Expr.Eq q -> q.right() instanceof Expr.Lit l && me.equals(l.value());
            case Expr.In in -> {
                if (!(in.right() instanceof Expr.Lit l)) {
                    yield false;
                }
                Set<?> targets = l.value() instanceof Set<?> s ? s : Set.of(l.value());
                yield targets.contains(me);
            }
            default -> false;
        };
    }

    private static void walk(Expr e, Consumer<Expr> f) {
        f.accept(e);
        switch (e) {
            case Expr.Not n -> walk(n.arg(), f);
            case Expr.And a -> a.args().forEach(x -> walk(x, f));
            case Expr.Or o -> o.args().forEach(x -> walk(x, f));
            case Expr.If i -> {
                walk(i.cond(), f);
                walk(i.then(), f);
                walk(i.otherwise(), f);
            }
            default -> {}
        }
    }

    // ---- shadowing: a permit that a forbid fully covers ----

    /** A statement with only scope and at most one resource-membership condition. */
    private record Simple(Expr principal, Set<Action> actions, List<EntityRef> resources, boolean anyResource) {}

    private static Simple simple(ParsedPolicy p) {
        List<EntityRef> res = new ArrayList<>();
        boolean any = true;
        List<Expr> parts = new ArrayList<>();
        parts.add(p.resourceScope());
        for (Expr c : p.conditions()) {
            if (c instanceof Expr.And a) {
                parts.addAll(a.args());
            } else {
                parts.add(c);
            }
        }
        for (Expr x : parts) {
            if (x == Expr.TRUE) {
                continue;
            }
            List<EntityRef> r = resourceAtoms(x);
            if (r == null || !any) {
                return null;
            }
            any = false;
            res.addAll(r);
        }
        return new Simple(p.principalScope(), actionSet(p), res, any);
    }

    private static List<EntityRef> resourceAtoms(Expr x) {
        if (x instanceof Expr.In in && in.left() instanceof Expr.VarRef v && v.var() == Expr.Var.RESOURCE) {
            List<EntityRef> out = new ArrayList<>();
            if (in.right() instanceof Expr.Lit l) {
                if (l.value() instanceof EntityRef r) {
                    out.add(r);
                } else if (l.value() instanceof Set<?> s) {
                    for (Object o : s) {
                        if (!(o instanceof EntityRef r)) {
                            return null;
                        }
                        out.add(r);
                    }
                }
                return out;
            }
            if (in.right() instanceof Expr.SetLit s) {
                for (Expr e : s.elements()) {
                    if (!(e instanceof Expr.Lit l) || !(l.value() instanceof EntityRef r)) {
                        return null;
                    }
                    out.add(r);
                }
                return out;
            }
        }
        return null;
    }

    private static void shadowing(List<ParsedPolicy> policies, List<Issue> out) {
        List<ParsedPolicy> forbids = policies.stream().filter(p -> !p.permit()).toList();
        if (forbids.isEmpty()) {
            return;
        }
        Map<Integer, Simple> simple = new HashMap<>();
        for (ParsedPolicy p : policies) {
            Simple s = simple(p);
            if (s != null) {
                simple.put(p.index(), s);
            }
        }
        for (ParsedPolicy p : policies) {
            if (!p.permit()) {
                continue;
            }
            Simple ps = simple.get(p.index());
            if (ps == null || ps.actions().isEmpty()) {
                continue;
            }
            for (ParsedPolicy f : forbids) {
                Simple fs = simple.get(f.index());
                if (fs == null) {
                    continue;
                }
                boolean principalOk = fs.principal() == Expr.TRUE || fs.principal().equals(ps.principal());
                if (principalOk && fs.actions().containsAll(ps.actions()) && covers(fs, ps)) {
                    out.add(Issue.warning("TP051", p.index(), "permit",
                            "this permit never takes effect: " + f.id() + " (statement " + (f.index() + 1)
                                    + ") forbids everything it permits",
                            "narrow the forbid, or remove this permit"));
                    break;
                }
            }
        }
    }

    private static boolean covers(Simple f, Simple p) {
        if (f.anyResource()) {
            return true;
        }
        if (p.anyResource() || p.resources().isEmpty()) {
            return false;
        }
        for (EntityRef r : p.resources()) {
            boolean covered = false;
            for (EntityRef c : f.resources()) {
                if (covers(c, r)) {
                    covered = true;
                    break;
                }
            }
            if (!covered) {
                return false;
            }
        }
        return true;
    }

    /** True if membership in {@code outer} follows from membership in {@code inner} (conservative). */
    private static boolean covers(EntityRef outer, EntityRef inner) {
        if (outer.equals(inner)) {
            return true;
        }
        if (outer.type().equals("Dir") && PathNames.isCanonicalDir(outer.id())
                && (inner.type().equals("Dir") && PathNames.isCanonicalDir(inner.id())
                        || inner.type().equals("File") && PathNames.isCanonicalFile(inner.id()))) {
            String o = strip(outer.id());
            String i = strip(inner.id());
            return o.equals("/") || i.equals(o) || i.startsWith(o + "/");
        }
        if (outer.type().equals("DnsZone") && HostNames.isValidName(outer.id())) {
            String z = outer.id();
            String n = switch (inner.type()) {
                case "DnsZone" -> inner.id();
                case "Host" -> switch (HostNames.parseHost(inner.id())) {
                    case HostId.Name h -> h.name();
                    case HostId.NamePort h -> h.name();
                    case HostId.Wildcard h -> h.suffix();
                    case HostId.WildcardPort h -> h.suffix();
                    default -> null;
                };
                default -> null;
            };
            return n != null && (n.equals(z) || n.endsWith("." + z));
        }
        if (outer.type().equals("Net") && HostNames.isCanonicalCidr(outer.id())) {
            HostNames.Cidr c = HostNames.parseCidr(outer.id());
            var prefix = new dev.tether.policy.NetworkRules.Prefix(c.network(), c.length());
            if (inner.type().equals("Net") && HostNames.isCanonicalCidr(inner.id())) {
                HostNames.Cidr ic = HostNames.parseCidr(inner.id());
                return prefix.covers(new dev.tether.policy.NetworkRules.Prefix(ic.network(), ic.length()));
            }
            if (inner.type().equals("Host")) {
                return switch (HostNames.parseHost(inner.id())) {
                    case HostId.Ip ip -> prefix.contains(ip.address());
                    case HostId.IpPort ip -> prefix.contains(ip.address());
                    default -> false;
                };
            }
        }
        return false;
    }

    private static String strip(String d) {
        return d.length() > 1 && d.endsWith("/") ? d.substring(0, d.length() - 1) : d;
    }
}
