package dev.tether.proxy.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tether.proxy.decide.ProxyDecisions;
import dev.tether.proxy.decide.Verdict;
import dev.tether.proxy.event.McpEvent;
import dev.tether.proxy.event.ProxyEventSink;
import dev.tether.proxy.event.ProxyNotice;
import dev.tether.proxy.secret.SecretRedactor;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The policy-facing half of MCP, shared by every transport (streamable HTTP, the older SSE
 * transport, stdio): judges what the client sends ({@code tools/call} against {@code McpCall},
 * batch items one by one), remembers the requests it let through, and rewrites what the server
 * answers ({@code tools/list} loses tools the policy forbids) while emitting events.
 *
 * <p>Thread-safe: with the SSE transport, requests arrive on one connection and responses on another.
 */
public final class McpConversation {
    private static final Set<String> OBSERVED = Set.of("initialize", "tools/list", "tools/call", "resources/read", "prompts/get");

    /** What to do with a client message. */
    public sealed interface ClientJudgement {
        /** Valid JSON, but not JSON-RPC: not MCP, pass it on unchanged. */
        record NotJsonRpc() implements ClientJudgement {}

        /** Unreadable or invalid: answer with {@code errorResponse}, forward nothing. */
        record Refused(ObjectNode errorResponse, String reason) implements ClientJudgement {}

        /**
         * Judged: forward {@code forward} (null when nothing is left to forward) and deliver
         * {@code errors} to the client (denied items), as a batch when {@code batch}.
         */
        record Judged(byte[] forward, List<ObjectNode> errors, boolean batch) implements ClientJudgement {}
    }

    private record Pending(String method, String target, JsonNode arguments, long startNanos, Verdict verdict) {}

    private final String transport;
    private final String server;
    private final ProxyDecisions decisions;
    private final ProxyEventSink sink;
    private final SecretRedactor redactor;
    private final Map<String, Pending> pending = new ConcurrentHashMap<>();
    private volatile String mcpSession;

    public McpConversation(String transport, String server, ProxyDecisions decisions, ProxyEventSink sink, SecretRedactor redactor) {
        this.transport = transport;
        this.server = server;
        this.decisions = decisions;
        this.sink = sink;
        this.redactor = redactor;
    }

    public String server() {
        return server;
    }

    /** Records the transport's session id (Mcp-Session-Id, the SSE endpoint's session) for events. */
    public void mcpSession(String id) {
        if (id != null) this.mcpSession = id;
    }

    /** Judges a client-to-server message (one JSON text: an object or a batch). */
    public ClientJudgement judgeClient(byte[] body, int off, int len) {
        JsonNode root;
        try {
            root = JsonRpc.parse(body, off, len);
        } catch (IOException e) {
            String reason = "malformed JSON-RPC message refused: " + JsonRpc.describe(e);
            notice(ProxyNotice.Kind.MALFORMED_INPUT, reason);
            return new ClientJudgement.Refused(JsonRpc.error(null, JsonRpc.PARSE_ERROR, "tether: " + reason, null), reason);
        }
        if (!looksLikeJsonRpc(root)) return new ClientJudgement.NotJsonRpc();
        if (root.isArray()) {
            if (root.isEmpty()) {
                return new ClientJudgement.Refused(JsonRpc.error(null, JsonRpc.INVALID_REQUEST, "tether: empty batch", null), "empty batch");
            }
            ArrayNode kept = JsonNodeFactory.instance.arrayNode();
            List<ObjectNode> errors = new ArrayList<>();
            for (JsonNode item : root) {
                ObjectNode err = judgeItem(item);
                if (err == null) kept.add(item);
                else errors.add(err);
            }
            byte[] forward = kept.isEmpty() ? null : errors.isEmpty() ? slice(body, off, len) : JsonRpc.write(kept);
            return new ClientJudgement.Judged(forward, errors, true);
        }
        ObjectNode err = judgeItem(root);
        return err == null
                ? new ClientJudgement.Judged(slice(body, off, len), List.of(), false)
                : new ClientJudgement.Judged(null, List.of(err), false);
    }

    public ClientJudgement judgeClient(byte[] body) {
        return judgeClient(body, 0, body.length);
    }

    /**
     * Rewrites a server-to-client message: closes pending requests (events with outcome and
     * duration) and drops forbidden tools from {@code tools/list} results. Returns the bytes to
     * deliver (the input itself when unchanged), or null when the message is unreadable and must
     * not be delivered (the proxy cannot tell what the client would make of it).
     */
    public byte[] rewriteServer(byte[] body, int off, int len) {
        JsonNode root;
        try {
            root = JsonRpc.parse(body, off, len);
        } catch (IOException e) {
            notice(ProxyNotice.Kind.MALFORMED_INPUT, "malformed message from MCP server dropped: " + JsonRpc.describe(e));
            return null;
        }
        boolean changed = false;
        if (root.isArray()) {
            for (JsonNode item : root) changed |= onServerItem(item);
        } else {
            changed = onServerItem(root);
        }
        return changed ? JsonRpc.write(root) : slice(body, off, len);
    }

    public byte[] rewriteServer(byte[] body) {
        return rewriteServer(body, 0, body.length);
    }

    /** Records pending requests that will never get an answer (connection gone or timed out). */
    public void abandonPending(String why) {
        for (Map.Entry<String, Pending> e : pending.entrySet()) {
            if (pending.remove(e.getKey()) != null) emit(e.getValue(), e.getKey(), "no-response", why);
        }
    }

    /**
     * Gives up on every pending request: records each as {@code no-response} and returns one
     * JSON-RPC error per request, carrying its id, so the client can match the failure to its call.
     */
    public List<ObjectNode> failPending(int code, String message) {
        List<ObjectNode> errors = new ArrayList<>();
        for (Map.Entry<String, Pending> e : pending.entrySet()) {
            if (pending.remove(e.getKey()) == null) continue;
            emit(e.getValue(), e.getKey(), "no-response", message);
            JsonNode id;
            try {
                id = JsonRpc.parse(e.getKey().getBytes(java.nio.charset.StandardCharsets.UTF_8));
            } catch (IOException impossible) {
                id = null;
            }
            errors.add(JsonRpc.error(id, code, "tether: " + message, null));
        }
        return errors;
    }

    /** Ids of requests still waiting for an answer (JSON text of the id). */
    public Set<String> pendingIds() {
        return Set.copyOf(pending.keySet());
    }

    private static boolean looksLikeJsonRpc(JsonNode root) {
        if (root.isObject()) return root.has("jsonrpc") || root.has("method");
        if (root.isArray()) {
            if (root.isEmpty()) return false;
            for (JsonNode n : root) if (n.isObject() && (n.has("jsonrpc") || n.has("method"))) return true;
        }
        return false;
    }

    /** Returns null to forward the item, or the error response that replaces it. */
    private ObjectNode judgeItem(JsonNode item) {
        JsonNode id = item.isObject() ? item.get("id") : null;
        if (!item.isObject() || !"2.0".equals(item.path("jsonrpc").asText(null))) {
            return JsonRpc.error(id, JsonRpc.INVALID_REQUEST, "tether: not a JSON-RPC 2.0 message", null);
        }
        JsonNode methodNode = item.get("method");
        if (methodNode == null) return null; // a response to a server request: pass on
        if (!methodNode.isTextual()) return JsonRpc.error(id, JsonRpc.INVALID_REQUEST, "tether: method must be a string", null);
        String method = methodNode.asText();
        JsonNode params = item.get("params");
        long now = System.nanoTime();
        switch (method) {
            case "tools/call" -> {
                JsonNode name = params == null ? null : params.get("name");
                if (name == null || !name.isTextual()) {
                    return JsonRpc.error(id, JsonRpc.INVALID_PARAMS, "tether: tools/call needs a string params.name", null);
                }
                JsonNode args = params.get("arguments");
                if (args != null && !args.isObject() && !args.isNull()) {
                    return JsonRpc.error(id, JsonRpc.INVALID_PARAMS, "tether: tools/call params.arguments must be an object", null);
                }
                Verdict v = decisions.mcpCall(server, name.asText(), args == null || args.isNull() ? null : args);
                Pending p = new Pending(method, name.asText(), args, now, v);
                if (!v.allowed()) {
                    emit(p, idKey(id), "denied", v.reason());
                    return denial(id, "tool '" + name.asText() + "' on MCP server '" + server + "'", v);
                }
                track(id, p);
            }
            case "resources/read" -> track(id, new Pending(method, params == null ? null : params.path("uri").asText(null), null, now, null));
            case "prompts/get" -> track(id, new Pending(method, params == null ? null : params.path("name").asText(null), params == null ? null : params.get("arguments"), now, null));
            case "initialize", "tools/list" -> track(id, new Pending(method, null, null, now, null));
            default -> {}
        }
        return null;
    }

    private void track(JsonNode id, Pending p) {
        if (id == null || id.isNull()) {
            if (OBSERVED.contains(p.method())) emit(p, null, "ok", "notification (no response expected)");
            return;
        }
        pending.put(idKey(id), p);
    }

    private static ObjectNode denial(JsonNode id, String what, Verdict v) {
        ObjectNode data = JsonNodeFactory.instance.objectNode();
        data.put("reason", v.reason());
        ArrayNode ids = data.putArray("policyIds");
        v.policyIds().forEach(ids::add);
        return JsonRpc.error(id, JsonRpc.DENIED_BY_POLICY, "tether: " + what + " denied by policy: " + v.reason(), data);
    }

    private boolean onServerItem(JsonNode item) {
        if (!item.isObject() || item.has("method")) return false; // server request or notification
        JsonNode id = item.get("id");
        if (id == null) return false;
        Pending p = pending.remove(idKey(id));
        if (p == null) return false;
        boolean changed = false;
        String outcome = "ok";
        String reason = "";
        if (item.has("error")) {
            outcome = "error";
            reason = redactor.redact(item.path("error").path("message").asText(""));
        } else if (item.path("result").path("isError").asBoolean(false)) {
            outcome = "error";
            reason = "tool returned isError";
        }
        if ("tools/list".equals(p.method()) && item.path("result").path("tools").isArray()) {
            ArrayNode tools = (ArrayNode) item.path("result").path("tools");
            List<String> hidden = new ArrayList<>();
            for (int i = tools.size() - 1; i >= 0; i--) {
                String name = tools.get(i).path("name").asText(null);
                if (name == null || !decisions.mcpToolListed(server, name)) {
                    hidden.add(name);
                    tools.remove(i);
                    changed = true;
                }
            }
            if (!hidden.isEmpty()) reason = "hidden by policy: " + String.join(", ", hidden.reversed());
        }
        emit(p, idKey(id), outcome, reason);
        return changed;
    }

    private void emit(Pending p, String id, String outcome, String detail) {
        sink.emit(new McpEvent(Instant.now(), transport, server, p.method(), p.target(), redactor.redact(p.arguments()), id,
                p.verdict(), outcome, "denied".equals(outcome) ? "" : redactor.redact(detail), System.nanoTime() - p.startNanos(),
                mcpSession));
    }

    private void notice(ProxyNotice.Kind kind, String detail) {
        sink.emit(new ProxyNotice(Instant.now(), kind, server, detail));
    }

    /**
     * An id as clients match it: numbers by value (the TypeScript SDK looks answers up by
     * {@code Number(id)}, Python compares 7 == 7.0), so an answer with id {@code 7.0} or {@code 7e0}
     * closes request 7 here too instead of reaching the client unfiltered. The key is JSON text.
     */
    private static String idKey(JsonNode id) {
        if (id == null) return null;
        if (id.isFloatingPointNumber()) {
            double d = id.doubleValue();
            return d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString((long) d) : Double.toString(d);
        }
        return id.isIntegralNumber() ? id.bigIntegerValue().toString() : id.toString();
    }

    private static byte[] slice(byte[] b, int off, int len) {
        return off == 0 && len == b.length ? b : java.util.Arrays.copyOfRange(b, off, off + len);
    }
}
