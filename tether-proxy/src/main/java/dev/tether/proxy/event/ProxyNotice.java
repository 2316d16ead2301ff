package dev.tether.proxy.event;

import java.time.Instant;

/**
 * Something the proxy refused or noticed outside a decided request: malformed MCP input, a
 * truncated SSE frame, an upstream that never answered, a body over the inspection limit.
 */
public record ProxyNotice(Instant time, Kind kind, String host, String detail) implements ProxyEvent {
    public enum Kind { MALFORMED_INPUT, TRUNCATED_STREAM, UPSTREAM_TIMEOUT, UPSTREAM_FAILURE, BODY_TOO_LARGE, TLS_FAILURE, MISSING_SECRET }
}
