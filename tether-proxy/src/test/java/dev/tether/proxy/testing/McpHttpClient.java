package dev.tether.proxy.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.InetSocketAddress;
import java.net.ProxySelector;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** A plain HTTP client speaking streamable-HTTP MCP through the proxy (JSON or SSE answers). */
public final class McpHttpClient {
    public static final ObjectMapper JSON = new ObjectMapper();
    public record Reply(int status, String contentType, String raw, List<JsonNode> messages) {}

    private final HttpClient http;
    private final URI endpoint;
    private String sessionId;

    public McpHttpClient(InetSocketAddress proxy, URI endpoint) {
        this(proxy, endpoint, null);
    }

    /** {@code trust}: the TLS context for https endpoints (trusting tether's CA), or null. */
    public McpHttpClient(InetSocketAddress proxy, URI endpoint, javax.net.ssl.SSLContext trust) {
        HttpClient.Builder b = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).proxy(ProxySelector.of(proxy))
                .connectTimeout(Duration.ofSeconds(10));
        if (trust != null) b.sslContext(trust);
        this.http = b.build();
        this.endpoint = endpoint;
    }

    public Reply post(String body) throws Exception {
        return post(body.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    public Reply post(byte[] body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(endpoint).timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json")
                .header("Accept", "application/json, text/event-stream")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        if (sessionId != null) b.header("Mcp-Session-Id", sessionId).header("Mcp-Protocol-Version", "2025-03-26");
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        r.headers().firstValue("mcp-session-id").ifPresent(s -> sessionId = s);
        String ct = r.headers().firstValue("content-type").orElse("");
        List<JsonNode> msgs = new ArrayList<>();
        if (ct.startsWith("text/event-stream")) {
            for (String line : r.body().split("\n")) if (line.startsWith("data: ")) msgs.add(JSON.readTree(line.substring(6)));
        } else if (ct.contains("json") && !r.body().isBlank()) {
            JsonNode n = JSON.readTree(r.body());
            if (n.isArray()) n.forEach(msgs::add);
            else msgs.add(n);
        }
        return new Reply(r.statusCode(), ct, r.body(), msgs);
    }

    public String sessionId() {
        return sessionId;
    }

    public void initialize() throws Exception {
        Reply r = post("{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-03-26\","
                + "\"capabilities\":{},\"clientInfo\":{\"name\":\"tether-test\",\"version\":\"1\"}}}");
        if (r.status() != 200 || r.messages().isEmpty() || !r.messages().getFirst().has("result")) {
            throw new AssertionError("initialize failed: " + r);
        }
        post("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}");
    }

    public static String call(int id, String tool, String argsJson) {
        return "{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"method\":\"tools/call\",\"params\":{\"name\":\"" + tool + "\",\"arguments\":" + argsJson + "}}";
    }
}
