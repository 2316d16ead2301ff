package dev.tether.server.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tether.learn.PolicyLearning;
import dev.tether.server.AccessToken;
import dev.tether.server.policy.CompletionEngine;
import dev.tether.server.spi.EventSource;
import dev.tether.server.spi.PolicyControl;
import dev.tether.server.spi.SessionDirectory;
import dev.tether.server.stream.LiveStreamEndpoint;
import dev.tether.server.stream.SessionCounters;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Wires the guard, the security headers, the API groups, the live stream and the error format. */
public final class ControlRoutes {
    private static final Logger LOG = LoggerFactory.getLogger(ControlRoutes.class);

    /**
     * The UI loads only its own scripts and styles and talks only to this server; inline styles are
     * needed by the editor (CodeMirror injects them). no-referrer keeps the token-bearing first URL
     * out of any Referer header.
     */
    static final String CONTENT_SECURITY_POLICY = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline';"
            + " img-src 'self' data:; connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none';"
            + " frame-ancestors 'none'";

    private final RequestGuard guard;
    private final PolicyApi policyApi;
    private final ActivityApi activityApi;
    private final LearningApi learningApi;
    private final LiveStreamEndpoint stream;
    private final ObjectMapper mapper;

    public ControlRoutes(AccessToken token, Supplier<Set<String>> authorities, PolicyControl policy, EventSource events,
            SessionDirectory sessions, SessionCounters counters, CompletionEngine completions,
            LiveStreamEndpoint stream, ObjectMapper mapper, PolicyLearning learning) {
        JsonBodies bodies = new JsonBodies(mapper);
        this.guard = new RequestGuard(token, authorities);
        this.policyApi = new PolicyApi(policy, sessions, events, completions, bodies, mapper);
        this.activityApi = new ActivityApi(events, sessions, counters, bodies, mapper);
        this.learningApi = new LearningApi(learning, policy, bodies, mapper);
        this.stream = stream;
        this.mapper = mapper;
    }

    public void register(RoutesConfig r, boolean uiBuilt) {
        r.before(ctx -> {
            ctx.header("X-Content-Type-Options", "nosniff");
            ctx.header("X-Frame-Options", "DENY");
            ctx.header("Referrer-Policy", "no-referrer");
            ctx.header("Content-Security-Policy", CONTENT_SECURITY_POLICY);
            ctx.header("Cross-Origin-Resource-Policy", "same-origin");
            guard.check(ctx);
        });
        r.options("/api/*", ctx -> ctx.status(204));
        policyApi.register(r);
        activityApi.register(r);
        learningApi.register(r);
        r.get("/api/stream", stream::handle);
        if (!uiBuilt) {
            r.get("/", ctx -> {
                throw new ApiException(503, "the Control UI assets are not in this build (run the Maven build with"
                        + " npm available); the API under /api works");
            });
        }
        r.exception(ApiException.class, (e, ctx) -> error(ctx, e.status(), e.getMessage(), e.extra()));
        // A directory or policy that cannot do what was asked (a session another tether runs, a
        // monitor-only session's mode) says why; that is a conflict with the state, not a server error.
        r.exception(UnsupportedOperationException.class, (e, ctx) -> error(ctx, 409, e.getMessage(), Map.of()));
        r.exception(HttpResponseException.class, (e, ctx) -> error(ctx, e.getStatus(), describe(e), Map.of()));
        r.exception(Exception.class, (e, ctx) -> {
            LOG.error("control plane: unexpected error on {} {}", ctx.method(), ctx.path(), e);
            error(ctx, 500, "internal error: " + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : ": " + e.getMessage()), Map.of());
        });
        r.error(404, ctx -> {
            if (ctx.path().startsWith("/api/") && ctx.result() == null) {
                error(ctx, 404, "no such endpoint: " + ctx.method() + " " + ctx.path(), Map.of());
            }
        });
    }

    private static String describe(HttpResponseException e) {
        if (e.getStatus() == 413) {
            return "request body too large";
        }
        return e.getMessage();
    }

    /** Leash's error shape: {@code {"error": {"message": ..., ...}}}. */
    private void error(Context ctx, int status, String message, Map<String, Object> extra) {
        Map<String, Object> err = new LinkedHashMap<>();
        err.put("message", message);
        err.putAll(extra);
        ctx.status(status).json(Map.of("error", err));
    }
}
