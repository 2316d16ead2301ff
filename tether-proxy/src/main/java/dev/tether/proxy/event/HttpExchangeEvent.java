package dev.tether.proxy.event;

import java.time.Instant;
import java.util.List;

/**
 * One HTTP request through the proxy (or a refused CONNECT / TLS connection, with method CONNECT).
 * {@code originalDestination} is the address the sandbox dialled in transparent mode, else null.
 * {@code status} is 0 when no response was produced (connection failed or reset).
 */
public record HttpExchangeEvent(
        Instant time,
        String client,
        String method,
        String scheme,
        String host,
        int port,
        String path,
        int status,
        long requestBytes,
        long responseBytes,
        long durationNanos,
        boolean allowed,
        List<String> policyIds,
        String reason,
        String originalDestination)
        implements ProxyEvent {
    public HttpExchangeEvent {
        policyIds = List.copyOf(policyIds);
    }
}
