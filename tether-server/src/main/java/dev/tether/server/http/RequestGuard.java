package dev.tether.server.http;

import dev.tether.server.AccessToken;
import io.javalin.http.Context;
import java.util.Locale;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Runs before every request. In order: the Host header must name this server (DNS-rebinding
 * defence: a page on evil.example that re-resolves to 127.0.0.1 still sends Host: evil.example); a
 * browser Origin, if sent, must be this server's own (no cross-origin use; CORS headers only for
 * it); and everything under {@code /api} (and Leash's {@code /suggest}) needs the access token as
 * {@code Authorization: Bearer ...}. The static UI needs no token: it holds no data and asks for
 * the token itself.
 */
public final class RequestGuard {
    private final AccessToken token;
    private final Supplier<Set<String>> allowedAuthorities;

    /** {@code allowedAuthorities}: lower-case {@code host:port} values this server answers to. */
    public RequestGuard(AccessToken token, Supplier<Set<String>> allowedAuthorities) {
        this.token = token;
        this.allowedAuthorities = allowedAuthorities;
    }

    public void check(Context ctx) {
        String host = ctx.header("Host");
        Set<String> allowed = allowedAuthorities.get();
        if (host == null || !allowed.contains(host.toLowerCase(Locale.ROOT))) {
            throw new ApiException(403, "refused: Host header '" + host + "' does not name this control plane");
        }
        String origin = ctx.header("Origin");
        if (origin != null) {
            String authority = originAuthority(origin);
            if (authority == null || !allowed.contains(authority)) {
                throw new ApiException(403, "refused: cross-origin request from " + origin);
            }
            ctx.header("Access-Control-Allow-Origin", origin);
            ctx.header("Vary", "Origin");
            ctx.header("Access-Control-Allow-Headers", "Authorization, Content-Type");
            ctx.header("Access-Control-Allow-Methods", "GET, POST, PUT, PATCH, OPTIONS");
        }
        if (needsToken(ctx.path()) && !"OPTIONS".equals(ctx.method().name())) {
            String auth = ctx.header("Authorization");
            String presented = null;
            if (auth != null && auth.regionMatches(true, 0, "Bearer ", 0, 7)) {
                presented = auth.substring(7).trim();
            }
            if (!token.matches(presented)) {
                ctx.header("WWW-Authenticate", "Bearer realm=\"tether\"");
                throw new ApiException(401, presented == null
                        ? "missing access token: send 'Authorization: Bearer <token>' (the token is in the URL tether printed)"
                        : "wrong access token");
            }
        }
    }

    static boolean needsToken(String path) {
        return path.equals("/api") || path.startsWith("/api/") || path.equals("/suggest") || path.equals("/healthz");
    }

    /** {@code http://127.0.0.1:18080} → {@code 127.0.0.1:18080}; null if it is not http. */
    static String originAuthority(String origin) {
        String o = origin.toLowerCase(Locale.ROOT);
        if (!o.startsWith("http://")) {
            return null;
        }
        String rest = o.substring("http://".length());
        return rest.endsWith("/") ? rest.substring(0, rest.length() - 1) : rest;
    }
}
