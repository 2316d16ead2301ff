package dev.tether.server.http;

import java.util.Map;

/**
 * A request the control plane refuses, with the HTTP status and a message that says what to fix.
 * {@code extra} is merged into the error object (e.g. findings with file:line:col).
 */
public final class ApiException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final int status;
    private final transient Map<String, Object> extra;

    public ApiException(int status, String message) {
        this(status, message, Map.of());
    }

    public ApiException(int status, String message, Map<String, Object> extra) {
        super(message, null, false, false);
        this.status = status;
        this.extra = Map.copyOf(extra);
    }

    public int status() {
        return status;
    }

    public Map<String, Object> extra() {
        return extra;
    }
}
