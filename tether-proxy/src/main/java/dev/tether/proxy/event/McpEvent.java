package dev.tether.proxy.event;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tether.proxy.decide.Verdict;
import java.time.Instant;
import java.util.List;

/**
 * One MCP request observed by the proxy or the stdio relay: initialize, tools/list, tools/call,
 * resources/read, prompts/get, and any request the policy refused.
 *
 * @param transport {@code streamable-http}, {@code sse} or {@code stdio}
 * @param target the tool name, resource URI or prompt name (null for other methods)
 * @param arguments already redacted
 * @param verdict the policy's decision (tools/call), null for methods the policy does not decide
 * @param outcome {@code ok}, {@code error} (JSON-RPC error or {@code isError} result),
 *     {@code denied} or {@code no-response}
 * @param detail what happened beyond the decision (server error text, tools hidden), may be empty
 * @param mcpSession the transport's session id ({@code Mcp-Session-Id}, SSE endpoint session), or null
 */
public record McpEvent(
        Instant time,
        String transport,
        String server,
        String method,
        String target,
        JsonNode arguments,
        String requestId,
        Verdict verdict,
        String outcome,
        String detail,
        long durationNanos,
        String mcpSession)
        implements ProxyEvent {

    public boolean allowed() {
        return verdict == null || verdict.allowed();
    }

    public List<String> policyIds() {
        return verdict == null ? List.of() : verdict.policyIds();
    }

    /** The decision's reason and the outcome detail, in words. */
    public String reason() {
        String r = verdict == null ? "" : verdict.reason();
        return detail == null || detail.isEmpty() ? r : r.isEmpty() ? detail : r + "; " + detail;
    }
}
