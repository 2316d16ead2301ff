package dev.tether.proxy.event;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.List;

/**
 * One MCP request observed by the proxy or the stdio relay: initialize, tools/list, tools/call,
 * resources/read, prompts/get, and any request the policy refused. {@code target} is the tool
 * name, resource URI or prompt name (null for other methods). {@code arguments} are already
 * redacted. {@code outcome} is one of {@code ok}, {@code error} (JSON-RPC error or
 * {@code isError} result), {@code denied}, {@code no-response}.
 */
public record McpEvent(
        Instant time,
        String transport,
        String server,
        String method,
        String target,
        JsonNode arguments,
        String requestId,
        boolean allowed,
        List<String> policyIds,
        String reason,
        String outcome,
        long durationNanos)
        implements ProxyEvent {
    public McpEvent {
        policyIds = List.copyOf(policyIds);
    }
}
