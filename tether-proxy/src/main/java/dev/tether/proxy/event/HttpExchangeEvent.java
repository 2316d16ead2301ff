package dev.tether.proxy.event;

import dev.tether.proxy.decide.Verdict;
import java.time.Instant;
import java.util.List;

/**
 * One HTTP request through the proxy, or a refused CONNECT / TLS connection (method
 * {@code CONNECT} / {@code TLS}). {@code path} has no query string (queries often carry tokens).
 * {@code originalDestination} is the address the sandbox dialled in transparent mode, else null.
 * {@code status} is 0 when no response was produced (connection failed or reset).
 * {@code injected} names the headers set by {@code HttpRewrite} (never their values).
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
        Verdict verdict,
        String originalDestination,
        List<InjectedHeader> injected)
        implements ProxyEvent {

    /** A header set on the upstream request and the rewrite policy that asked for it. */
    public record InjectedHeader(String header, String policyId) {}

    public HttpExchangeEvent {
        injected = List.copyOf(injected);
    }

    public boolean allowed() {
        return verdict.allowed();
    }

    public List<String> policyIds() {
        return verdict.policyIds();
    }

    public String reason() {
        return verdict.reason();
    }
}
