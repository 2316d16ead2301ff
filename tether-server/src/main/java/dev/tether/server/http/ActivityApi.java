package dev.tether.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tether.events.Verdict;
import dev.tether.policy.Mode;
import dev.tether.server.spi.EventQuery;
import dev.tether.server.spi.EventSource;
import dev.tether.server.spi.SessionDirectory;
import dev.tether.server.spi.SessionView;
import dev.tether.server.stream.SessionCounters;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;

/** Events (query, filters, paging), sessions (list, detail, stop, mode) and the daemon-wide mode. */
final class ActivityApi {
    private final EventSource events;
    private final SessionDirectory sessions;
    private final SessionCounters counters;
    private final JsonBodies bodies;
    private final ObjectMapper mapper;

    ActivityApi(EventSource events, SessionDirectory sessions, SessionCounters counters, JsonBodies bodies,
            ObjectMapper mapper) {
        this.events = events;
        this.sessions = sessions;
        this.counters = counters;
        this.bodies = bodies;
        this.mapper = mapper;
    }

    void register(RoutesConfig r) {
        r.get("/api/events", this::queryEvents);
        r.get("/api/sessions", ctx -> {
            ArrayNode arr = mapper.createArrayNode();
            sessions.list().forEach(s -> arr.add(sessionJson(s)));
            ctx.json(mapper.createObjectNode().set("sessions", arr));
        });
        r.get("/api/sessions/{id}", ctx -> ctx.json(sessionJson(session(ctx.pathParam("id")))));
        r.post("/api/sessions/{id}/stop", ctx -> {
            String id = ctx.pathParam("id");
            session(id);
            sessions.stop(id);
            ctx.status(202).json(sessionJson(session(id)));
        });
        r.put("/api/sessions/{id}/mode", this::sessionMode);
        r.post("/api/sessions/{id}/mode", this::sessionMode);
        r.get("/api/mode", ctx -> ctx.json(mapper.createObjectNode().put("mode", sessions.defaultMode().configName())));
        r.put("/api/mode", this::defaultMode);
        r.post("/api/mode", this::defaultMode);
        r.get("/healthz", ctx -> ctx.result("ok"));
    }

    private void queryEvents(Context ctx) {
        Verdict verdict = null;
        String d = emptyToNull(ctx.queryParam("decision"));
        if (d != null) {
            verdict = Verdict.fromJsonName(d.trim())
                    .orElseThrow(() -> new ApiException(400, "decision must be allow, deny, would-deny or none"));
        }
        EventQuery q;
        try {
            q = new EventQuery(emptyToNull(ctx.queryParam("session")), emptyToNull(ctx.queryParam("action")), verdict,
                    emptyToNull(ctx.queryParam("q")), longParam(ctx, "before"), longParam(ctx, "after"),
                    intParam(ctx, "limit", 100));
        } catch (IllegalArgumentException e) {
            throw new ApiException(400, e.getMessage());
        }
        ctx.json(events.query(q));
    }

    private static String emptyToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }

    private static Long longParam(Context ctx, String name) {
        String v = emptyToNull(ctx.queryParam(name));
        if (v == null) {
            return null;
        }
        try {
            return Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw new ApiException(400, "query parameter '" + name + "' must be an integer");
        }
    }

    private static int intParam(Context ctx, String name, int dflt) {
        Long v = longParam(ctx, name);
        if (v == null) {
            return dflt;
        }
        if (v < 1 || v > EventQuery.MAX_LIMIT) {
            throw new ApiException(400, "query parameter '" + name + "' must be between 1 and " + EventQuery.MAX_LIMIT);
        }
        return v.intValue();
    }

    private SessionView session(String id) {
        return sessions.get(id).orElseThrow(() -> new ApiException(404, "no session '" + id + "'"));
    }

    /** The session with its counts: the directory's (whole session) when it has them, else the live feed's. */
    ObjectNode sessionJson(SessionView s) {
        ObjectNode o = mapper.valueToTree(s);
        o.set("counts", mapper.valueToTree(s.counts() != null ? s.counts() : counters.of(s.id())));
        return o;
    }

    private Mode modeFrom(Context ctx) {
        JsonNode body = bodies.object(ctx, false);
        String m = JsonBodies.string(body, "mode", true);
        return Mode.fromConfigName(m.trim().toLowerCase(java.util.Locale.ROOT))
                .orElseThrow(() -> new ApiException(400, "mode must be enforce, shadow or permissive"));
    }

    private void sessionMode(Context ctx) {
        String id = ctx.pathParam("id");
        Mode mode = modeFrom(ctx);
        session(id);
        sessions.setMode(id, mode);
        ctx.json(sessionJson(session(id)));
    }

    private void defaultMode(Context ctx) {
        Mode mode = modeFrom(ctx);
        sessions.setDefaultMode(mode);
        ctx.json(mapper.createObjectNode().put("mode", sessions.defaultMode().configName()));
    }
}
