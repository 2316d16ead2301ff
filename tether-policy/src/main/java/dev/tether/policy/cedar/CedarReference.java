package dev.tether.policy.cedar;

import com.cedarpolicy.BasicAuthorizationEngine;
import com.cedarpolicy.model.AuthorizationRequest;
import com.cedarpolicy.model.AuthorizationResponse;
import com.cedarpolicy.model.entity.Entity;
import com.cedarpolicy.model.policy.Policy;
import com.cedarpolicy.model.policy.PolicySet;
import com.cedarpolicy.model.schema.Schema;
import com.cedarpolicy.value.CedarList;
import com.cedarpolicy.value.CedarMap;
import com.cedarpolicy.value.EntityTypeName;
import com.cedarpolicy.value.EntityUID;
import com.cedarpolicy.value.PrimBool;
import com.cedarpolicy.value.PrimLong;
import com.cedarpolicy.value.PrimString;
import com.cedarpolicy.value.Value;
import com.fasterxml.jackson.databind.JsonNode;
import dev.tether.policy.Action;
import dev.tether.policy.Decision;
import dev.tether.policy.ExecRequest;
import dev.tether.policy.FileRequest;
import dev.tether.policy.McpRequest;
import dev.tether.policy.NetworkRequest;
import dev.tether.policy.PolicyRef;
import dev.tether.policy.PolicySnapshot;
import dev.tether.policy.Principal;
import dev.tether.policy.Request;
import dev.tether.policy.Transport;
import dev.tether.policy.compile.CompiledPolicy;
import dev.tether.policy.compile.CompiledSnapshot;
import dev.tether.policy.model.ArgType;
import dev.tether.policy.model.HostNames;
import dev.tether.policy.model.NetTarget;
import dev.tether.policy.model.PathNames;
import dev.tether.policy.principals.PrincipalDirectory;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Decides requests with cedar-java's authorizer under tether's entity model, built the slow,
 * explicit way: every ancestor entity of the resource and principal enumerated as a Cedar
 * parent. It is the reference the compiled engine is tested against, and a second opinion for
 * {@code tether policy decide --cedar}. About 40 µs and up per request; never on a hot path.
 */
public final class CedarReference {
    private final PolicySet policySet;
    private final Schema schema;
    private final BasicAuthorizationEngine engine = new BasicAuthorizationEngine();
    private final Map<String, PolicyRef> refs = new HashMap<>();
    private final PrincipalDirectory directory;
    private final ArgType.Rec argumentTypes;
    /**
     * Entities some statement names. Resource ancestors outside this set are left out of the
     * entity data: every ancestor is a direct parent in tether's model and {@code in} only asks
     * about entities a statement names, so this changes no answer, only the cost (Cedar's cost
     * grows with every parent passed; an IPv6 address alone has 129 {@code Net} ancestors).
     */
    private final Set<EntityUID> mentioned = new HashSet<>();

    public CedarReference(PolicySnapshot snapshot) {
        if (!(snapshot instanceof CompiledSnapshot cs)) {
            throw new IllegalArgumentException("not a snapshot from PolicyLoader");
        }
        Set<Policy> ps = new HashSet<>();
        for (CompiledPolicy p : cs.policies()) {
            String id = "s" + p.index();
            refs.put(id, p.ref());
            dev.tether.policy.lint.Linter.entities(p.parsed().condition(), r -> mentioned.add(uid(r.type(), r.id())));
        }
        var statements = dev.tether.policy.text.Lexer.lex(cs.sourceText()).statements();
        for (var st : statements) {
            ps.add(new Policy(st.text(), "s" + st.index()));
        }
        this.policySet = new PolicySet(ps);
        this.schema = new Schema(Schema.JsonOrCedar.Cedar, Optional.empty(), Optional.of(cs.schemaText()));
        this.directory = cs.directory();
        this.argumentTypes = cs.argumentTypes();
        LargeStack.call(() -> {
            policySet.cache();
            schema.cache();
            return null;
        });
    }

    private static EntityUID uid(String type, String id) {
        return EntityTypeName.parse(type).orElseThrow().of(id);
    }

    /** The principal entity and its session and team entities, with parents. */
    private Set<Entity> principalEntities(Principal p, EntityUID agent) {
        Set<Entity> out = new HashSet<>();
        Set<EntityUID> parents = new HashSet<>();
        if (p.session() != null) {
            EntityUID s = uid("Session", p.session());
            parents.add(s);
            Set<EntityUID> sp = new HashSet<>();
            for (String t : directory.sessionTeams().getOrDefault(p.session(), List.of())) {
                sp.add(uid("Team", t));
            }
            out.add(new Entity(s, new HashMap<>(), sp));
        }
        for (String t : directory.agentTeams().getOrDefault(p.agent(), List.of())) {
            parents.add(uid("Team", t));
        }
        out.add(new Entity(agent, new HashMap<>(), parents));
        for (String t : directory.teamsOf(p.agent(), p.session())) {
            Set<EntityUID> tp = new HashSet<>();
            for (String parent : directory.teamTeams().getOrDefault(t, List.of())) {
                tp.add(uid("Team", parent));
            }
            out.add(new Entity(uid("Team", t), new HashMap<>(), tp));
        }
        return out;
    }

    /** Cedar's answer: allowed, and the ids of the statements in its reason set. */
    public record Answer(boolean allowed, List<PolicyRef> determining, String error) {}

    public Answer decide(Request request) {
        EntityUID agent = uid("Agent", request.principal().agent());
        Set<Entity> entities = principalEntities(request.principal(), agent);
        EntityUID resource;
        Map<String, Value> context = new HashMap<>();
        switch (request) {
            case FileRequest f -> {
                String p = PathNames.normalise(f.path());
                if (p == null) {
                    return new Answer(false, List.of(), "path is not absolute");
                }
                resource = fileEntity(p, entities);
            }
            case ExecRequest x -> {
                String p = PathNames.normalise(x.path());
                if (p == null) {
                    return new Answer(false, List.of(), "path is not absolute");
                }
                resource = fileEntity(p, entities);
                List<Value> argv = new ArrayList<>();
                for (int i = 1; i < x.argv().size(); i++) {
                    argv.add(new PrimString(x.argv().get(i)));
                }
                context.put("argv", new CedarList(argv));
                context.put("args", new PrimString(x.argv().size() <= 1 ? "" : String.join(" ", x.argv().subList(1, x.argv().size()))));
            }
            case NetworkRequest n -> {
                StringBuilder why = new StringBuilder();
                NetTarget t = NetTarget.of(n.hostname(), n.address(), n.port(), n.transport(), why);
                if (t == null) {
                    return new Answer(false, List.of(), why.toString());
                }
                resource = hostEntity(t, entities);
                context.put("hostname", new PrimString(t.hostname() == null ? "" : t.hostname()));
                context.put("port", new PrimLong(t.port()));
                context.put("protocol", new PrimString(t.transport().cedarName()));
            }
            case McpRequest m -> {
                EntityUID server = uid("MCP::Server", m.server());
                if (m.tool() == null) {
                    resource = server;
                    entities.add(new Entity(server, new HashMap<>(), new HashSet<>()));
                } else {
                    resource = uid("MCP::Tool", m.tool());
                    entities.add(new Entity(resource, new HashMap<>(), new HashSet<>(Set.of(server))));
                }
                context.put("arguments", argumentsRecord(m.arguments(), argumentTypes));
            }
        }
        return authorize(agent, request.action(), resource, context, entities);
    }

    /** Would Cedar authorize {@code HttpRewrite} of this header and value on {@code host:port}? */
    public Answer rewrite(Principal principal, String host, int port, String header, String value) {
        EntityUID agent = uid("Agent", principal.agent());
        Set<Entity> entities = principalEntities(principal, agent);
        StringBuilder why = new StringBuilder();
        NetTarget t = NetTarget.of(host, null, port, Transport.TCP, why);
        if (t == null) {
            return new Answer(false, List.of(), why.toString());
        }
        EntityUID resource = hostEntity(t, entities);
        Map<String, Value> context = new HashMap<>();
        context.put("header", new PrimString(header));
        context.put("value", new PrimString(value));
        return authorize(agent, Action.HTTP_REWRITE, resource, context, entities);
    }

    private Answer authorize(EntityUID agent, Action action, EntityUID resource, Map<String, Value> context,
            Set<Entity> entities) {
        AuthorizationRequest req = new AuthorizationRequest(agent, uid("Action", action.cedarName()), resource,
                Optional.of(context), Optional.of(schema), true);
        AuthorizationResponse resp;
        try {
            resp = engine.isAuthorized(req, policySet, entities);
        } catch (Exception e) {
            return new Answer(false, List.of(), "cedar failed: " + e.getMessage());
        }
        if (resp.success.isEmpty()) {
            return new Answer(false, List.of(), "cedar refused the request: " + resp.errors.map(Object::toString).orElse(""));
        }
        var s = resp.success.get();
        if (!s.getErrors().isEmpty()) {
            return new Answer(s.isAllowed(), refsOf(s.getReason()), "evaluation errors: " + s.getErrors());
        }
        return new Answer(s.isAllowed(), refsOf(s.getReason()), null);
    }

    private List<PolicyRef> refsOf(Set<String> ids) {
        List<PolicyRef> out = new ArrayList<>();
        for (String id : ids) {
            out.add(refs.get(id));
        }
        out.sort((a, b) -> a.line() != b.line() ? Integer.compare(a.line(), b.line()) : Integer.compare(a.column(), b.column()));
        return out;
    }

    private EntityUID fileEntity(String path, Set<Entity> entities) {
        EntityUID f = uid("File", path);
        Set<EntityUID> parents = new HashSet<>();
        for (String d : PathNames.dirAncestors(path)) {
            EntityUID u = uid("Dir", d);
            if (mentioned.contains(u)) {
                parents.add(u);
            }
        }
        entities.add(new Entity(f, new HashMap<>(), parents));
        return f;
    }

    private EntityUID hostEntity(NetTarget t, Set<Entity> entities) {
        EntityUID h = uid("Host", t.primary());
        Set<EntityUID> parents = new HashSet<>();
        for (String[] a : HostNames.ancestors(t)) {
            EntityUID u = uid(a[0], a[1]);
            if (mentioned.contains(u)) {
                parents.add(u);
            }
        }
        entities.add(new Entity(h, new HashMap<>(), parents));
        return h;
    }

    /**
     * The arguments record with only the attributes the policy declares, each in its natural
     * Cedar type; a value of the wrong type stays wrong so Cedar's request validation refuses it.
     */
    static CedarMap argumentsRecord(JsonNode args, ArgType.Rec type) {
        CedarMap m = new CedarMap();
        if (args == null || !args.isObject()) {
            return m;
        }
        for (Map.Entry<String, ArgType> e : type.attrs().entrySet()) {
            JsonNode v = args.get(e.getKey());
            if (v == null || v.isNull()) {
                continue;
            }
            m.put(e.getKey(), natural(v, e.getValue()));
        }
        return m;
    }

    private static Value natural(JsonNode v, ArgType declared) {
        if (v.isTextual()) {
            return new PrimString(v.textValue());
        }
        if (v.isIntegralNumber() && v.canConvertToLong()) {
            return new PrimLong(v.longValue());
        }
        if (v.isBoolean()) {
            return new PrimBool(v.booleanValue());
        }
        if (v.isArray()) {
            List<Value> els = new ArrayList<>();
            ArgType el = declared instanceof ArgType.SetOf s ? s.element() : ArgType.Prim.STRING;
            for (JsonNode x : v) {
                els.add(natural(x, el));
            }
            return new CedarList(els);
        }
        if (v.isObject()) {
            if (declared instanceof ArgType.Rec r) {
                return argumentsRecord(v, r);
            }
            CedarMap all = new CedarMap();
            for (var f : v.properties()) {
                all.put(f.getKey(), natural(f.getValue(), ArgType.Prim.STRING));
            }
            return all;
        }
        // fractional or oversized numbers have no Cedar type: an entity never conforms to an argument type
        return uid("Unrepresentable", v.toString());
    }
}
