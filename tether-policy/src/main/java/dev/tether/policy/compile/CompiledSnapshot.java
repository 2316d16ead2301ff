package dev.tether.policy.compile;

import java.net.InetAddress;

import dev.tether.policy.Action;
import dev.tether.policy.Decision;
import dev.tether.policy.ExecRequest;
import dev.tether.policy.FileRequest;
import dev.tether.policy.HeaderRewrite;
import dev.tether.policy.McpRequest;
import dev.tether.policy.NetworkRequest;
import dev.tether.policy.NetworkRules;
import dev.tether.policy.PolicyRef;
import dev.tether.policy.PolicySnapshot;
import dev.tether.policy.Principal;
import dev.tether.policy.Request;
import dev.tether.policy.Transport;
import dev.tether.policy.ir.EntityRef;
import dev.tether.policy.ir.Expr;
import dev.tether.policy.model.ArgType;
import dev.tether.policy.model.ArgumentValues;
import dev.tether.policy.model.NetTarget;
import dev.tether.policy.model.PathNames;
import dev.tether.policy.principals.PrincipalDirectory;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The engine's {@link PolicySnapshot}. Statements are compiled per principal view (lazily, once
 * per distinct combination of principal facts the policy can tell apart) and per action, then
 * evaluated only when an index says they can concern the request's resource.
 */
public final class CompiledSnapshot implements PolicySnapshot {
    private static final int PRINCIPAL_CACHE_LIMIT = 4096;

    private final List<CompiledPolicy> policies;
    private final PrincipalDirectory directory;
    private final ArgType.Rec argumentTypes;
    private final String schemaText;
    private final String sourceText;
    private final String sourceName;
    private final long generation;
    private final List<PolicyRef> statements;
    /** Every entity a statement compares the principal with; a view is keyed by which hold. */
    private final List<EntityRef> principalMentions;
    private final ConcurrentHashMap<Principal, PrincipalView> byPrincipal = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<BitSet, PrincipalView> bySignature = new ConcurrentHashMap<>();

    public CompiledSnapshot(List<CompiledPolicy> policies, PrincipalDirectory directory, ArgType.Rec argumentTypes,
            String schemaText, String sourceText, String sourceName, long generation) {
        this.policies = List.copyOf(policies);
        this.directory = directory;
        this.argumentTypes = argumentTypes;
        this.schemaText = schemaText;
        this.sourceText = sourceText;
        this.sourceName = sourceName;
        this.generation = generation;
        this.statements = this.policies.stream().map(CompiledPolicy::ref).toList();
        Set<EntityRef> mentions = new LinkedHashSet<>();
        for (CompiledPolicy p : this.policies) {
            collectPrincipalMentions(p.parsed().condition(), mentions);
        }
        this.principalMentions = List.copyOf(mentions);
    }

    /** The principals this snapshot has decided for so far (up to its cache limit). */
    public java.util.Set<Principal> principalsSeen() {
        return java.util.Set.copyOf(byPrincipal.keySet());
    }

    /**
     * Compiles the views of these principals now, so their first decision does not pay for it
     * (PolicyHolder does this before swapping a reloaded policy in).
     */
    public void prepare(java.util.Collection<Principal> principals) {
        for (Principal p : principals) {
            view(p);
        }
    }

    public List<CompiledPolicy> policies() {
        return policies;
    }

    public PrincipalDirectory directory() {
        return directory;
    }

    public ArgType.Rec argumentTypes() {
        return argumentTypes;
    }

    /** The Cedar schema the policy was validated against (with its MCP argument types). */
    public String schemaText() {
        return schemaText;
    }

    @Override
    public List<PolicyRef> statements() {
        return statements;
    }

    @Override
    public long generation() {
        return generation;
    }

    @Override
    public String sourceText() {
        return sourceText;
    }

    @Override
    public String sourceName() {
        return sourceName;
    }

    private static void collectPrincipalMentions(Expr e, Set<EntityRef> out) {
        switch (e) {
            case Expr.Eq q -> {
                if (q.left() instanceof Expr.VarRef v && v.var() == Expr.Var.PRINCIPAL && q.right() instanceof Expr.Lit l
                        && l.value() instanceof EntityRef r) {
                    out.add(r);
                } else if (q.right() instanceof Expr.VarRef v && v.var() == Expr.Var.PRINCIPAL
                        && q.left() instanceof Expr.Lit l && l.value() instanceof EntityRef r) {
                    out.add(r);
                } else {
                    collectPrincipalMentions(q.left(), out);
                    collectPrincipalMentions(q.right(), out);
                }
            }
            case Expr.In in -> {
                if (in.left() instanceof Expr.VarRef v && v.var() == Expr.Var.PRINCIPAL) {
                    addEntities(in.right(), out);
                }
            }
            case Expr.Is is -> {
                if (is.left() instanceof Expr.VarRef v && v.var() == Expr.Var.PRINCIPAL && is.inExpr() != null) {
                    addEntities(is.inExpr(), out);
                }
            }
            case Expr.And a -> a.args().forEach(x -> collectPrincipalMentions(x, out));
            case Expr.Or o -> o.args().forEach(x -> collectPrincipalMentions(x, out));
            case Expr.Not n -> collectPrincipalMentions(n.arg(), out);
            case Expr.If i -> {
                collectPrincipalMentions(i.cond(), out);
                collectPrincipalMentions(i.then(), out);
                collectPrincipalMentions(i.otherwise(), out);
            }
            default -> {}
        }
    }

    private static void addEntities(Expr e, Set<EntityRef> out) {
        if (e instanceof Expr.Lit l) {
            if (l.value() instanceof EntityRef r) {
                out.add(r);
            } else if (l.value() instanceof Set<?> s) {
                s.forEach(x -> {
                    if (x instanceof EntityRef r) {
                        out.add(r);
                    }
                });
            }
        } else if (e instanceof Expr.SetLit s) {
            s.elements().forEach(x -> addEntities(x, out));
        }
    }

    PrincipalView view(Principal p) {
        PrincipalView v = byPrincipal.get(p);
        if (v != null) {
            return v;
        }
        Set<String> teams = directory.teamsOf(p.agent(), p.session());
        Facts probe = new Facts(p.agent(), p.session(), teams, Action.FILE_OPEN);
        BitSet sig = new BitSet(principalMentions.size());
        for (int i = 0; i < principalMentions.size(); i++) {
            if (probe.principalIn(principalMentions.get(i))) {
                sig.set(i);
            }
        }
        v = bySignature.computeIfAbsent(sig, s -> new PrincipalView(p.agent(), p.session(), teams, policies));
        if (byPrincipal.size() < PRINCIPAL_CACHE_LIMIT) {
            byPrincipal.putIfAbsent(p, v);
        }
        return v;
    }

    @Override
    public Decision decide(Request request) {
        PrincipalView view = view(request.principal());
        Env env;
        String what;
        switch (request) {
            case FileRequest f -> {
                String p = PathNames.normalise(f.path());
                if (p == null) {
                    return new Decision(false, List.of(), "denied: path \"" + f.path() + "\" is not absolute");
                }
                env = new Env.PathEnv(p);
                what = p;
            }
            case ExecRequest x -> {
                String p = PathNames.normalise(x.path());
                if (p == null) {
                    return new Decision(false, List.of(), "denied: executable \"" + x.path() + "\" is not an absolute path");
                }
                env = new Env.ExecEnv(p, x.argv());
                what = x.argv().size() > 1 ? p + " " + ((Env.ExecEnv) env).args() : p;
            }
            case NetworkRequest n -> {
                StringBuilder why = new StringBuilder();
                NetTarget t = NetTarget.of(n.hostname(), n.address(), n.port(), n.transport(), why);
                if (t == null) {
                    return new Decision(false, List.of(), "denied: " + why);
                }
                env = new Env.NetEnv(t, null, null);
                what = t.describe();
            }
            case McpRequest m -> {
                Map<String, Object> args;
                try {
                    args = ArgumentValues.convert(m.arguments(), argumentTypes);
                } catch (ArgumentValues.Mismatch e) {
                    return new Decision(false, List.of(), "denied: request does not match the policy's types: " + e.getMessage());
                }
                env = new Env.McpEnv(m.server(), m.tool(), args);
                what = m.tool() == null ? "MCP server " + m.server() : "MCP tool " + m.tool() + " on " + m.server();
            }
        }
        Matches matches = new Matches();
        view.table(request.action()).collect(env, matches);
        return decision(matches, request.action(), what);
    }

    /** Every statement compiled for the action is {@link ChildrenAlike} for {@code dir}. */
    @Override
    public boolean childrenDecidedAlike(Principal principal, Action action, String dir) {
        String d = PathNames.normalise(dir);
        if (d == null || (action != Action.FILE_OPEN_READ_ONLY && action != Action.FILE_OPEN_READ_WRITE)) {
            return false;
        }
        for (Candidate c : view(principal).table(action).all()) {
            if (!ChildrenAlike.of(c.cond(), d)) {
                return false;
            }
        }
        return true;
    }

    /**
     * Evaluates the exec as {@link #decide} does and reports whether any condition read the
     * arguments. Exact, not a guess from the policy text: a condition that short-circuits before
     * reaching them (a resource test that fails first) gives the same result for every argv.
     */
    @Override
    public boolean execIgnoresArguments(ExecRequest request) {
        String p = PathNames.normalise(request.path());
        if (p == null) {
            return false;
        }
        Env.ExecEnv env = new Env.ExecEnv(p, request.argv());
        view(request.principal()).table(request.action()).collect(env, new Matches());
        return !env.argumentsRead();
    }

    /**
     * Probes the exec with argv holding each combination of the literals conditions ask about,
     * adding every literal a probe asks about, until no new one appears; any other look at the
     * arguments ends it. Exact: an evaluation that only asks "does argv hold x" takes the same
     * path for every argv giving the same answers, so it asks about no literal outside the set
     * and reaches the same decision.
     */
    @Override
    public java.util.Optional<List<String>> execArgvTokens(ExecRequest request, int most) {
        String p = PathNames.normalise(request.path());
        if (p == null) {
            return java.util.Optional.empty();
        }
        Table table = view(request.principal()).table(request.action());
        List<String> tokens = new ArrayList<>();
        while (true) {
            int known = tokens.size();
            for (int held = 0; held < 1 << known; held++) {
                Set<String> present = new java.util.HashSet<>();
                for (int j = 0; j < known; j++) {
                    if ((held & 1 << j) != 0) {
                        present.add(tokens.get(j));
                    }
                }
                Env.ExecEnv env = Env.ExecEnv.probing(p, present);
                table.collect(env, new Matches());
                if (env.argumentsSeenOtherwise()) {
                    return java.util.Optional.empty();
                }
                for (String q : env.queried()) {
                    if (!tokens.contains(q)) {
                        tokens.add(q);
                        if (tokens.size() > most) {
                            return java.util.Optional.empty();
                        }
                    }
                }
            }
            if (tokens.size() == known) {
                return java.util.Optional.of(List.copyOf(tokens));
            }
        }
    }

    private static Decision decision(Matches m, Action action, String what) {
        CompiledPolicy[] det = m.determining();
        if (det.length == 0) {
            return new Decision(false, List.of(), "denied: no permit matched " + action.cedarName() + " " + what);
        }
        List<PolicyRef> refs;
        if (det.length == 1) {
            refs = List.of(det[0].ref());
        } else {
            PolicyRef[] a = new PolicyRef[det.length];
            for (int i = 0; i < det.length; i++) {
                a[i] = det[i].ref();
            }
            refs = List.of(a);
        }
        String reason = det.length == 1 ? det[0].explained() + what
                : det[0].explained() + what + " (and " + (det.length - 1) + " more)";
        return new Decision(!m.anyForbid(), refs, reason);
    }

    @Override
    public List<HeaderRewrite> headerRewrites(Principal principal, String host, int port) {
        PrincipalView view = view(principal);
        if (view.rewritePermits.isEmpty()) {
            return List.of();
        }
        StringBuilder why = new StringBuilder();
        NetTarget t = NetTarget.of(host, null, port, Transport.TCP, why);
        if (t == null) {
            return List.of();
        }
        List<HeaderRewrite> out = new ArrayList<>();
        for (Candidate c : view.rewritePermits) {
            CompiledPolicy p = c.policy();
            Env.NetEnv env = new Env.NetEnv(t, p.header(), p.value());
            if (!holds(c, env)) {
                continue;
            }
            boolean forbidden = false;
            for (Candidate f : view.rewriteForbids) {
                if (holds(f, env)) {
                    forbidden = true;
                    break;
                }
            }
            if (!forbidden) {
                out.add(new HeaderRewrite(p.header(), p.value(), p.ref()));
            }
        }
        return List.copyOf(out);
    }

    private static boolean holds(Candidate c, Env env) {
        try {
            return c.cond().test(env);
        } catch (EvalError e) {
            return false;
        }
    }

    @Override
    public List<NetworkRules.Rule> networkRules(Principal principal, String hostname, InetAddress address) {
        return NetworkRulesBuilder.rulesFor(view(principal).table(Action.NETWORK_CONNECT).all(), hostname, address);
    }

    @Override
    public List<dev.tether.policy.PermitBounds.PermittedPath> forbiddenFileReach(Principal principal) {
        return PermitBoundsBuilder.forbiddenFileReach(view(principal));
    }

    @Override
    public dev.tether.policy.PermitBounds permitBounds(Principal principal) {
        return PermitBoundsBuilder.build(view(principal));
    }

    @Override
    public NetworkRules networkRules(Principal principal) {
        PrincipalView view = view(principal);
        return view.networkRules(() -> NetworkRulesBuilder.build(view.table(Action.NETWORK_CONNECT).all()));
    }
}
