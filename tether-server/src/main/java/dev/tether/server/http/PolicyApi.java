package dev.tether.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tether.policy.Mode;
import dev.tether.server.policy.CedarStatements;
import dev.tether.server.policy.CompletionEngine;
import dev.tether.server.policy.CompletionItem;
import dev.tether.server.policy.StatementProposer;
import dev.tether.server.spi.ActivityEvent;
import dev.tether.server.spi.DecisionQuery;
import dev.tether.server.spi.EventQuery;
import dev.tether.server.spi.EventSource;
import dev.tether.server.spi.LintFinding;
import dev.tether.server.spi.PolicyChange;
import dev.tether.server.spi.PolicyControl;
import dev.tether.server.spi.PolicyView;
import dev.tether.server.spi.SessionDirectory;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The policy endpoints. Paths and bodies mirror Leash's control API ({@code /api/policies...}) so
 * existing scripts work; tether adds {@code propose} and {@code /api/decide}. Every write goes
 * through one lock, so a patch (read, modify, replace) never interleaves with another write: the
 * last valid write wins and no write is half-applied.
 */
final class PolicyApi {
    private final PolicyControl policy;
    private final SessionDirectory sessions;
    private final EventSource events;
    private final CompletionEngine completions;
    private final JsonBodies bodies;
    private final ObjectMapper mapper;
    private final ReentrantLock writeLock = new ReentrantLock();

    PolicyApi(PolicyControl policy, SessionDirectory sessions, EventSource events, CompletionEngine completions,
            JsonBodies bodies, ObjectMapper mapper) {
        this.policy = policy;
        this.sessions = sessions;
        this.events = events;
        this.completions = completions;
        this.bodies = bodies;
        this.mapper = mapper;
    }

    void register(RoutesConfig r) {
        r.get("/api/policies", ctx -> ctx.json(policiesResponse()));
        r.post("/api/policies", this::replace);
        r.put("/api/policies", this::replace);
        r.patch("/api/policies", this::patch);
        r.post("/api/policies/validate", this::validate);
        r.post("/api/policies/complete", this::complete);
        r.post("/api/policies/persist", this::persist);
        r.post("/api/policies/permit-all", ctx -> setMode(ctx, Mode.PERMISSIVE));
        r.post("/api/policies/enforce-apply", ctx -> setMode(ctx, Mode.ENFORCE));
        r.get("/api/policies/lines", this::lines);
        r.post("/api/policies/add", this::add);
        r.post("/api/policies/delete", this::delete);
        r.post("/api/policies/add-from-action", this::addFromAction);
        r.post("/api/policies/propose", this::propose);
        r.post("/api/decide", this::decide);
    }

    ObjectNode policiesResponse() {
        return policiesResponse(policy.current());
    }

    /** The Leash-shaped policy response for {@code v} (the view a write applied, not whatever came after it). */
    ObjectNode policiesResponse(PolicyView v) {
        ObjectNode o = mapper.createObjectNode();
        o.put("cedar", v.text());
        o.put("cedarRuntime", v.text());
        o.put("cedarFile", readPolicyFile());
        o.put("enforcementMode", sessions.defaultMode().configName());
        o.put("generation", v.generation());
        o.put("source", v.source());
        o.put("loadedAt", v.loadedAt().toString());
        o.put("policyFile", policy.policyFile().map(Path::toString).orElse(null));
        return o;
    }

    private String readPolicyFile() {
        Optional<Path> f = policy.policyFile();
        if (f.isEmpty() || !Files.isRegularFile(f.get())) {
            return "";
        }
        try {
            return Files.readString(f.get());
        } catch (IOException e) {
            return "";
        }
    }

    private void replace(Context ctx) {
        String cedar = bodies.cedar(ctx, false);
        PolicyView applied;
        writeLock.lock();
        try {
            applied = applyOrThrow(cedar).policy();
        } finally {
            writeLock.unlock();
        }
        ctx.json(policiesResponse(applied));
    }

    /** Applies {@code text} or throws a 400 carrying the located findings; caller holds the lock. */
    private PolicyChange.Applied applyOrThrow(String text) {
        PolicyChange change = policy.replace(text);
        return switch (change) {
            case PolicyChange.Applied a -> a;
            case PolicyChange.Rejected rej -> throw rejected(rej.errors());
        };
    }

    private ApiException rejected(List<LintFinding> errors) {
        LintFinding first = errors.isEmpty() ? null : errors.getFirst();
        Map<String, Object> extra = new HashMap<>();
        extra.put("findings", errors);
        String msg = "policy rejected, the previous policy stays in force";
        if (first != null) {
            extra.put("file", first.file());
            extra.put("line", first.line());
            extra.put("column", first.column());
            extra.put("code", first.code());
            if (first.suggestion() != null) {
                extra.put("suggestion", first.suggestion());
            }
            msg += ": " + first.file() + ":" + first.line() + ":" + first.column() + ": " + first.message();
        }
        return new ApiException(400, msg, extra);
    }

    private void patch(Context ctx) {
        JsonNode body = bodies.object(ctx, false);
        JsonNode add = body.path("add");
        JsonNode remove = body.path("remove");
        if (!add.isMissingNode() && !add.isArray() || !remove.isMissingNode() && !remove.isArray()) {
            throw new ApiException(400, "'add' and 'remove' must be arrays");
        }
        if (add.size() == 0 && remove.size() == 0) {
            throw new ApiException(400, "no changes provided: send add and/or remove entries");
        }
        String applyMode = JsonBodies.string(body, "applyMode", false);
        if (applyMode != null && !applyMode.equalsIgnoreCase("enforce")) {
            throw new ApiException(400, "applyMode must be \"enforce\" or omitted");
        }
        patchWith(ctx, (ObjectNode) body, applyMode != null);
    }

    private static int[] findRange(List<CedarStatements.Statement> stmts, String id, String cedar) {
        if (id == null && cedar == null) {
            throw new ApiException(400, "remove entries require 'id' or 'cedar'");
        }
        for (CedarStatements.Statement s : stmts) {
            if (id != null && s.id().equals(id)
                    || cedar != null && CedarStatements.normalise(s.text()).equals(CedarStatements.normalise(cedar))) {
                return new int[] {s.start(), s.end()};
            }
        }
        throw new ApiException(404, id != null ? "policy id \"" + id + "\" not found" : "policy to remove was not found");
    }

    private String statementFromAddEntry(JsonNode a) {
        if (!a.isObject()) {
            throw new ApiException(400, "add entries must be objects with 'cedar' or 'effect' + 'action'");
        }
        String cedar = JsonBodies.string(a, "cedar", false);
        if (cedar != null && !cedar.isBlank()) {
            String t = cedar.strip();
            return t.endsWith(";") ? t : t + ";";
        }
        JsonNode action = a.get("action");
        if (action == null || !action.isObject()) {
            throw new ApiException(400, "add entries require 'cedar' or 'action'");
        }
        return fromLeashAction(JsonBodies.string(a, "effect", true), action);
    }

    /** Leash's {@code {effect, action: {type, name, tool?, server?}}} → one statement. */
    private String fromLeashAction(String effect, JsonNode action) {
        StatementProposer.Effect eff = switch (effect.toLowerCase(Locale.ROOT)) {
            case "permit", "allow" -> StatementProposer.Effect.PERMIT;
            case "forbid", "deny" -> StatementProposer.Effect.FORBID;
            default -> throw new ApiException(400, "effect must be permit or forbid");
        };
        String type = JsonBodies.string(action, "type", true);
        String name = JsonBodies.string(action, "name", false);
        String cedarAction = switch (type) {
            case "file.open", "FileOpen" -> "FileOpen";
            case "file.open:ro", "FileOpenReadOnly" -> "FileOpenReadOnly";
            case "file.open:rw", "FileOpenReadWrite" -> "FileOpenReadWrite";
            case "proc.exec", "ProcessExec" -> "ProcessExec";
            case "net.connect", "net.send", "NetworkConnect" -> "NetworkConnect";
            case "mcp.call", "McpCall" -> "McpCall";
            default -> throw new ApiException(400, "unknown action type '" + type + "'");
        };
        String resource = cedarAction.equals("McpCall") ? JsonBodies.string(action, "tool", false) : name;
        if (resource == null) {
            resource = name;
        }
        try {
            return StatementProposer.build(eff, null, cedarAction, resource, JsonBodies.string(action, "server", false));
        } catch (IllegalArgumentException e) {
            throw new ApiException(400, e.getMessage());
        }
    }

    private void add(Context ctx) {
        String cedar = bodies.cedar(ctx, false);
        patchWith(ctx, (ObjectNode) mapper.createObjectNode().set("add", mapper.createArrayNode().add(
                mapper.createObjectNode().put("cedar", cedar))), false);
    }

    private void delete(Context ctx) {
        JsonNode body = bodies.object(ctx, false);
        ObjectNode entry = mapper.createObjectNode();
        String id = JsonBodies.string(body, "id", false);
        String cedar = JsonBodies.string(body, "cedar", false);
        if (id != null) {
            entry.put("id", id);
        }
        if (cedar != null) {
            entry.put("cedar", cedar);
        }
        patchWith(ctx, (ObjectNode) mapper.createObjectNode().set("remove", mapper.createArrayNode().add(entry)), false);
    }

    private void addFromAction(Context ctx) {
        JsonNode body = bodies.object(ctx, false);
        JsonNode action = body.get("action");
        if (action == null || !action.isObject()) {
            throw new ApiException(400, "field 'action' must be an object {type, name, tool?, server?}");
        }
        String stmt = fromLeashAction(JsonBodies.string(body, "effect", true), action);
        patchWith(ctx, (ObjectNode) mapper.createObjectNode().set("add", mapper.createArrayNode().add(
                mapper.createObjectNode().put("cedar", stmt))), false);
    }

    /**
     * Removes, then adds, then applies, all under the write lock. Removal ranges come from one split
     * of the current text and are cut from the end backwards, so earlier cuts never shift later ones.
     */
    private void patchWith(Context ctx, ObjectNode body, boolean enforceAfter) {
        List<String> additions = new ArrayList<>();
        for (JsonNode a : body.path("add")) {
            additions.add(statementFromAddEntry(a));
        }
        PolicyView applied;
        writeLock.lock();
        try {
            String text = policy.current().text();
            List<CedarStatements.Statement> stmts = CedarStatements.split(text);
            List<int[]> cuts = new ArrayList<>();
            for (JsonNode rm : body.path("remove")) {
                if (!rm.isObject()) {
                    throw new ApiException(400, "remove entries must be objects with 'id' or 'cedar'");
                }
                cuts.add(findRange(stmts, JsonBodies.string(rm, "id", false), JsonBodies.string(rm, "cedar", false)));
            }
            cuts.sort(Comparator.comparingInt((int[] c) -> c[0]).reversed());
            StringBuilder sb = new StringBuilder(text);
            int lastStart = Integer.MAX_VALUE;
            for (int[] c : cuts) {
                if (c[1] > lastStart) {
                    continue; // the same statement named twice
                }
                sb.delete(c[0], c[1]);
                lastStart = c[0];
            }
            String updated = sb.toString();
            List<String> existing = new ArrayList<>(CedarStatements.split(updated).stream()
                    .map(st -> CedarStatements.normalise(st.text())).toList());
            for (String st : additions) {
                if (existing.contains(CedarStatements.normalise(st))) {
                    continue;
                }
                existing.add(CedarStatements.normalise(st));
                updated = updated.stripTrailing() + (updated.isBlank() ? "" : "\n\n") + st + "\n";
            }
            applied = applyOrThrow(updated).policy();
            if (enforceAfter) {
                sessions.setDefaultMode(Mode.ENFORCE);
            }
        } finally {
            writeLock.unlock();
        }
        ctx.json(policiesResponse(applied));
    }

    private void validate(Context ctx) {
        String cedar = bodies.cedar(ctx, true);
        String text = cedar == null ? policy.current().text() : cedar;
        List<LintFinding> findings = policy.validate(text);
        List<CedarStatements.Statement> stmts = CedarStatements.split(text);
        ObjectNode o = mapper.createObjectNode();
        o.put("valid", findings.stream().noneMatch(LintFinding::isError));
        o.set("findings", mapper.valueToTree(findings));
        ArrayNode issues = o.putArray("issues");
        for (LintFinding f : findings) {
            ObjectNode i = issues.addObject();
            i.put("policyId", statementAt(stmts, f.line()));
            i.put("severity", f.severity().wireName());
            i.put("code", f.code());
            i.put("message", f.message());
            i.put("suggestion", f.suggestion());
            i.put("line", f.line());
            i.put("column", f.column());
        }
        ctx.json(o);
    }

    private static String statementAt(List<CedarStatements.Statement> stmts, int line) {
        String id = null;
        for (CedarStatements.Statement s : stmts) {
            if (s.line() <= line) {
                id = s.id();
            }
        }
        return id;
    }

    private void complete(Context ctx) {
        JsonNode body = bodies.object(ctx, false);
        String cedar = JsonBodies.string(body, "cedar", false);
        JsonNode cursor = body.get("cursor");
        if (cursor == null || !cursor.isObject()) {
            throw new ApiException(400, "field 'cursor' must be an object {line, column}");
        }
        int line = JsonBodies.integer(cursor, "line", 1);
        int column = JsonBodies.integer(cursor, "column", 1);
        int max = Math.max(1, Math.min(200, JsonBodies.integer(body, "maxItems", 50)));
        List<CompletionItem> items = completions.complete(cedar == null ? "" : cedar, line, column, max);
        ctx.json(Map.of("items", items));
    }

    private void persist(Context ctx) {
        String cedar = bodies.cedar(ctx, true);
        if (policy.policyFile().isEmpty()) {
            throw new ApiException(409, "no policy file is configured: start tether with a policy file to persist to");
        }
        writeLock.lock();
        try {
            String text = cedar == null ? policy.current().text() : cedar;
            if (cedar != null) {
                applyOrThrow(cedar);
            }
            try {
                policy.persist(text);
            } catch (IOException e) {
                throw new ApiException(500, "failed to persist the policy to " + policy.policyFile().get() + ": "
                        + e.getMessage());
            }
        } finally {
            writeLock.unlock();
        }
        ctx.json(policiesResponse());
    }

    private void setMode(Context ctx, Mode mode) {
        sessions.setDefaultMode(mode);
        ctx.json(policiesResponse());
    }

    private void lines(Context ctx) {
        ArrayNode arr = mapper.createArrayNode();
        for (CedarStatements.Statement s : CedarStatements.split(policy.current().text())) {
            ObjectNode l = arr.addObject();
            l.put("id", s.id());
            l.put("effect", s.effect());
            l.put("humanized", s.text().replaceAll("\\s+", " "));
            l.put("cedar", s.text());
            l.put("sequence", s.index());
            l.put("line", s.line());
        }
        ctx.json(mapper.createObjectNode().set("lines", arr));
    }

    private void propose(Context ctx) {
        JsonNode body = bodies.object(ctx, false);
        JsonNode seqNode = body.get("eventSeq");
        if (seqNode == null || !seqNode.canConvertToLong()) {
            throw new ApiException(400, "field 'eventSeq' must be an event's seq number");
        }
        long seq = seqNode.asLong();
        String effect = JsonBodies.string(body, "effect", true);
        StatementProposer.Effect eff = switch (effect.toLowerCase(Locale.ROOT)) {
            case "permit", "allow" -> StatementProposer.Effect.PERMIT;
            case "forbid", "deny" -> StatementProposer.Effect.FORBID;
            default -> throw new ApiException(400, "effect must be permit or forbid");
        };
        List<ActivityEvent> found = events.query(new EventQuery(null, null, null, null, seq + 1, seq - 1, 1)).events();
        if (found.isEmpty() || found.getFirst().seq() != seq) {
            throw new ApiException(404, "no stored event with seq " + seq);
        }
        ActivityEvent e = found.getFirst();
        String stmt;
        try {
            stmt = StatementProposer.propose(e, eff);
        } catch (IllegalArgumentException ex) {
            throw new ApiException(400, ex.getMessage());
        }
        ObjectNode o = mapper.createObjectNode();
        o.put("cedar", stmt);
        o.put("effect", eff == StatementProposer.Effect.PERMIT ? "permit" : "forbid");
        o.set("event", mapper.valueToTree(e));
        ctx.json(o);
    }

    private void decide(Context ctx) {
        JsonNode body = bodies.object(ctx, false);
        List<String> argv = null;
        JsonNode argvNode = body.get("argv");
        if (argvNode != null && !argvNode.isNull()) {
            if (!argvNode.isArray()) {
                throw new ApiException(400, "field 'argv' must be an array of strings");
            }
            argv = new ArrayList<>();
            for (JsonNode a : argvNode) {
                argv.add(a.asText());
            }
        }
        DecisionQuery q = new DecisionQuery(JsonBodies.string(body, "agent", false),
                JsonBodies.string(body, "session", false), JsonBodies.string(body, "action", true),
                JsonBodies.string(body, "resource", true), argv, JsonBodies.string(body, "server", false));
        try {
            ctx.json(policy.decide(q));
        } catch (IllegalArgumentException e) {
            throw new ApiException(400, e.getMessage());
        }
    }
}
