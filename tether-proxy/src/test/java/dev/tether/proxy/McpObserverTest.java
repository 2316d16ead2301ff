package dev.tether.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tether.proxy.event.McpEvent;
import dev.tether.proxy.event.ProxyNotice;
import dev.tether.proxy.mcp.JsonRpc;
import dev.tether.proxy.testing.McpHttpClient;
import dev.tether.proxy.testing.McpServers;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.ProxySelector;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The MCP observer against the real {@code @modelcontextprotocol/server-everything} from npm,
 * over streamable HTTP and the older SSE transport, through the explicit proxy.
 */
class McpObserverTest {
    static ProxyFixture fx;
    static McpServers.Running streamable;
    static McpServers.Running sse;

    @BeforeAll
    static void start() throws Exception {
        McpServers.install();
        streamable = McpServers.startEverything("streamableHttp");
        sse = McpServers.startEverything("sse");
        fx = new ProxyFixture(Duration.ofSeconds(3), ProxyFixture.loopback());
        fx.rules.permitHost("p-mcp", "mcp.test")
                .permitTool("t-echo", "*", "echo")
                .permitTool("t-sum", "mcp.test", "get-sum", a -> a.get("a").asDouble() < 100)
                .permitTool("t-env", "*", "get-env")
                .forbidTool("f-env", "*", "get-env");
    }

    @AfterAll
    static void stop() {
        if (fx != null) fx.close();
        if (streamable != null) streamable.close();
        if (sse != null) sse.close();
    }

    McpHttpClient client() throws Exception {
        McpHttpClient c = new McpHttpClient(fx.proxy.explicitAddress(), URI.create("http://mcp.test:" + streamable.port() + "/mcp"));
        c.initialize();
        return c;
    }

    @Test
    void allowlistedToolWorksAndIsRecordedWithRedactedArguments() throws Exception {
        McpHttpClient c = client();
        // a secret the proxy knows must not reach the audit trail even inside tool arguments
        fx.secrets.resolveValue("secret:TEST_API_KEY");
        McpHttpClient.Reply r = c.post(McpHttpClient.call(7, "echo", "{\"message\":\"hi " + ProxyFixture.SECRET_VALUE + "\"}"));
        assertThat(r.status()).isEqualTo(200);
        JsonNode res = r.messages().stream().filter(m -> m.path("id").asInt() == 7).findFirst().orElseThrow();
        assertThat(res.path("result").path("content").get(0).path("text").asText()).contains("hi ");
        McpEvent e = fx.sink.mcp(m -> "echo".equals(m.target()) && "7".equals(m.requestId()));
        assertThat(e.allowed()).isTrue();
        assertThat(e.outcome()).isEqualTo("ok");
        assertThat(e.server()).isEqualTo("mcp.test");
        assertThat(e.transport()).isEqualTo("streamable-http");
        assertThat(e.arguments().path("message").asText()).isEqualTo("hi [REDACTED:TEST_API_KEY]");
        fx.sink.mcp(m -> "initialize".equals(m.method()) && m.outcome().equals("ok"));
    }

    @Test
    void forbiddenAndUnlistedToolsGetJsonRpcErrors() throws Exception {
        McpHttpClient c = client();
        JsonNode forbidden = c.post(McpHttpClient.call(8, "get-env", "{}")).messages().getFirst();
        assertThat(forbidden.path("id").asInt()).isEqualTo(8);
        assertThat(forbidden.path("error").path("code").asInt()).isEqualTo(JsonRpc.DENIED_BY_POLICY);
        assertThat(forbidden.path("error").path("message").asText()).contains("get-env").contains("f-env");
        JsonNode unlisted = c.post(McpHttpClient.call(9, "get-tiny-image", "{}")).messages().getFirst();
        assertThat(unlisted.path("error").path("code").asInt()).isEqualTo(JsonRpc.DENIED_BY_POLICY);
        assertThat(unlisted.path("error").path("message").asText()).contains("no permit");
        McpEvent e = fx.sink.mcp(m -> "get-env".equals(m.target()) && "8".equals(m.requestId()));
        assertThat(e.allowed()).isFalse();
        assertThat(e.outcome()).isEqualTo("denied");
        assertThat(e.policyIds()).containsExactly("f-env");
    }

    @Test
    void toolsListDropsForbiddenTools() throws Exception {
        McpHttpClient c = client();
        JsonNode list = c.post("{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/list\"}").messages().stream()
                .filter(m -> m.path("id").asInt() == 3).findFirst().orElseThrow();
        List<String> names = new ArrayList<>();
        list.path("result").path("tools").forEach(t -> names.add(t.path("name").asText()));
        assertThat(names).contains("echo", "get-sum").doesNotContain("get-env");
        McpEvent e = fx.sink.mcp(m -> "tools/list".equals(m.method()));
        assertThat(e.reason()).contains("get-env");
    }

    @Test
    void argumentConditionsHold() throws Exception {
        McpHttpClient c = client();
        JsonNode small = c.post(McpHttpClient.call(10, "get-sum", "{\"a\":1,\"b\":2}")).messages().getFirst();
        assertThat(small.path("result").path("content").get(0).path("text").asText()).contains("3");
        JsonNode big = c.post(McpHttpClient.call(11, "get-sum", "{\"a\":1000,\"b\":2}")).messages().getFirst();
        assertThat(big.path("error").path("code").asInt()).isEqualTo(JsonRpc.DENIED_BY_POLICY);
    }

    @Test
    void batchesAreJudgedItemByItem() throws Exception {
        McpHttpClient c = client();
        McpHttpClient.Reply r = c.post("[" + McpHttpClient.call(21, "echo", "{\"message\":\"a\"}") + ","
                + McpHttpClient.call(22, "get-env", "{}") + "," + McpHttpClient.call(23, "get-tiny-image", "{}") + "]");
        assertThat(r.status()).as(r.raw()).isEqualTo(200);
        assertThat(r.messages()).hasSize(3);
        JsonNode ok = r.messages().stream().filter(m -> m.path("id").asInt() == 21).findFirst().orElseThrow();
        assertThat(ok.has("result")).as(r.raw()).isTrue();
        for (int id : new int[] {22, 23}) {
            JsonNode err = r.messages().stream().filter(m -> m.path("id").asInt() == id).findFirst().orElseThrow();
            assertThat(err.path("error").path("code").asInt()).isEqualTo(JsonRpc.DENIED_BY_POLICY);
        }
        // all denied: tether answers alone, nothing reaches the server
        McpHttpClient.Reply all = c.post("[" + McpHttpClient.call(24, "get-env", "{}") + "]");
        assertThat(all.messages()).hasSize(1);
        assertThat(all.messages().getFirst().path("id").asInt()).isEqualTo(24);
    }

    @Test
    void malformedMessagesAreRefusedClearlyAndTheProxyCarriesOn() throws Exception {
        McpHttpClient c = client();
        McpHttpClient.Reply bad = c.post("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":");
        assertThat(bad.status()).isEqualTo(400);
        assertThat(bad.messages().getFirst().path("error").path("code").asInt()).isEqualTo(JsonRpc.PARSE_ERROR);
        // duplicate keys: the proxy and the server could disagree on which name is called
        McpHttpClient.Reply dup = c.post("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{\"name\":\"echo\",\"name\":\"get-env\",\"arguments\":{}}}");
        assertThat(dup.messages().getFirst().path("error").path("code").asInt()).isEqualTo(JsonRpc.PARSE_ERROR);
        assertThat(dup.messages().getFirst().path("error").path("message").asText()).containsIgnoringCase("duplicate");
        byte[] invalidUtf8 = "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/call\",\"params\":{\"name\":\"echo\",\"arguments\":{\"message\":\"X\"}}}"
                .getBytes(StandardCharsets.UTF_8);
        invalidUtf8[invalidUtf8.length - 5] = (byte) 0xC3; // a lead byte followed by '"': invalid
        McpHttpClient.Reply utf = c.post(invalidUtf8);
        assertThat(utf.messages().getFirst().path("error").path("code").asInt()).isEqualTo(JsonRpc.PARSE_ERROR);
        assertThat(utf.messages().getFirst().path("error").path("message").asText()).containsIgnoringCase("UTF-8");
        fx.sink.notice(n -> n.kind() == ProxyNotice.Kind.MALFORMED_INPUT);
        // the same session still works
        JsonNode ok = c.post(McpHttpClient.call(4, "echo", "{\"message\":\"still here\"}")).messages().getFirst();
        assertThat(ok.path("result").toString()).contains("still here");
    }

    @Test
    void fiftyMegabyteBodiesAreJudgedNotWavedThrough() throws Exception {
        McpHttpClient c = client();
        String pad = "x".repeat(50 * 1024 * 1024);
        McpHttpClient.Reply denied = c.post(McpHttpClient.call(31, "get-env", "{\"pad\":\"" + pad + "\"}"));
        assertThat(denied.messages().getFirst().path("error").path("code").asInt()).isEqualTo(JsonRpc.DENIED_BY_POLICY);
        // allowed: forwarded whole to the server, whose own answer (it limits bodies) comes back
        McpHttpClient.Reply allowed = c.post(McpHttpClient.call(32, "echo", "{\"message\":\"" + pad + "\"}"));
        assertThat(allowed.status()).isNotEqualTo(403);
        fx.sink.mcp(m -> "32".equals(m.requestId()) && m.allowed());
        // over the inspection limit (64 MB here): refused, never passed unjudged
        String huge = "x".repeat(65 * 1024 * 1024);
        McpHttpClient.Reply tooBig = c.post(McpHttpClient.call(33, "echo", "{\"message\":\"" + huge + "\"}"));
        assertThat(tooBig.status()).isEqualTo(413);
        assertThat(tooBig.messages().getFirst().path("error").path("code").asInt()).isEqualTo(JsonRpc.TOO_LARGE);
        assertThat(client().post(McpHttpClient.call(34, "echo", "{\"message\":\"after\"}")).messages().getFirst().toString()).contains("after");
    }

    @Test
    void olderSseTransportIsObservedAndEnforced() throws Exception {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .proxy(ProxySelector.of(fx.proxy.explicitAddress())).build();
        String base = "http://mcp.test:" + sse.port();
        BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        var stream = http.sendAsync(HttpRequest.newBuilder(URI.create(base + "/sse")).header("Accept", "text/event-stream").GET().build(),
                HttpResponse.BodyHandlers.ofInputStream());
        HttpResponse<java.io.InputStream> resp = stream.get(20, TimeUnit.SECONDS);
        Thread reader = Thread.ofVirtual().start(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(resp.body(), StandardCharsets.UTF_8))) {
                for (String l; (l = in.readLine()) != null; ) lines.add(l);
            } catch (Exception ignored) {
                // stream closed at the end of the test
            }
        });
        try {
            String endpoint = null;
            while (endpoint == null) {
                String l = lines.poll(20, TimeUnit.SECONDS);
                assertThat(l).as("endpoint event").isNotNull();
                if (l.startsWith("data: ")) endpoint = l.substring(6).strip();
            }
            URI post = URI.create(base).resolve(endpoint);
            java.util.function.Consumer<String> send = body -> {
                try {
                    HttpResponse<String> r = http.send(HttpRequest.newBuilder(post).header("Content-Type", "application/json")
                            .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
                    assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            };
            send.accept("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2024-11-05\",\"capabilities\":{},\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}");
            awaitMessage(lines, 1);
            send.accept("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}");
            send.accept("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/list\"}");
            JsonNode list = awaitMessage(lines, 2);
            assertThat(list.toString()).contains("\"echo\"").doesNotContain("\"get-env\"");
            send.accept(McpHttpClient.call(3, "get-env", "{}"));
            JsonNode denied = awaitMessage(lines, 3);
            assertThat(denied.path("error").path("code").asInt()).isEqualTo(JsonRpc.DENIED_BY_POLICY);
            send.accept(McpHttpClient.call(4, "echo", "{\"message\":\"over sse\"}"));
            assertThat(awaitMessage(lines, 4).toString()).contains("over sse");
            McpEvent e = fx.sink.mcp(m -> m.transport().equals("sse") && "echo".equals(m.target()));
            assertThat(e.outcome()).isEqualTo("ok");
        } finally {
            reader.interrupt();
            resp.body().close();
        }
    }

    @Test
    void truncatedSseFramesAndSilentServersGiveClearErrorsWithoutHarmingOtherSessions() throws Exception {
        try (var origin = dev.tether.proxy.testing.Origin.http()) {
            fx.rules.permitHost("p-broken", "broken.test");
            McpHttpClient truncated = new McpHttpClient(fx.proxy.explicitAddress(), URI.create("http://broken.test:" + origin.port() + "/mcp-truncated"));
            McpHttpClient.Reply r = truncated.post(McpHttpClient.call(40, "echo", "{\"message\":\"x\"}"));
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.raw()).contains("notifications/progress").doesNotContain("\"id\":40");
            assertThat(fx.sink.notice(n -> n.kind() == ProxyNotice.Kind.TRUNCATED_STREAM).detail()).contains("broken.test");

            McpHttpClient silent = new McpHttpClient(fx.proxy.explicitAddress(), URI.create("http://broken.test:" + origin.port() + "/never"));
            var pending = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                try {
                    return silent.post(McpHttpClient.call(41, "echo", "{\"message\":\"x\"}"));
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            // another session is served while that one waits
            assertThat(client().post(McpHttpClient.call(42, "echo", "{\"message\":\"other\"}")).messages().getFirst().toString()).contains("other");
            McpHttpClient.Reply timedOut = pending.get(30, TimeUnit.SECONDS);
            assertThat(timedOut.status()).isEqualTo(504);
            assertThat(timedOut.messages().getFirst().path("error").path("code").asInt()).isEqualTo(JsonRpc.UPSTREAM_TIMEOUT);
            assertThat(timedOut.messages().getFirst().path("id").asInt()).as("the error names the call it answers").isEqualTo(41);
            assertThat(timedOut.messages().getFirst().path("error").path("message").asText()).contains("did not answer");
            assertThat(fx.sink.mcp(m -> "41".equals(m.requestId())).outcome()).isEqualTo("no-response");
        }
    }

    @Test
    void jsonResponsesAreFilteredAndBatchErrorsMerged() throws Exception {
        try (McpServers.Running json = McpServers.startJsonResponseServer()) {
            fx.rules.permitTool("t-fail", "mcp.test", "fail");
            McpHttpClient c = new McpHttpClient(fx.proxy.explicitAddress(), URI.create("http://mcp.test:" + json.port() + "/mcp"));
            c.initialize();
            assertThat(c.sessionId()).isNotNull();
            McpHttpClient.Reply list = c.post("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}");
            assertThat(list.contentType()).startsWith("application/json");
            assertThat(list.raw()).contains("\"echo\"").contains("\"fail\"").doesNotContain("get-env");
            McpHttpClient.Reply batch = c.post("[" + McpHttpClient.call(2, "echo", "{\"message\":\"j\"}") + ","
                    + McpHttpClient.call(3, "get-env", "{}") + "," + McpHttpClient.call(4, "fail", "{}") + "]");
            assertThat(batch.contentType()).startsWith("application/json");
            assertThat(batch.messages()).hasSize(3);
            assertThat(batch.raw()).contains("Echo: j").doesNotContain("ENV-DUMP");
            McpEvent failed = fx.sink.mcp(m -> "fail".equals(m.target()) && "4".equals(m.requestId()));
            assertThat(failed.outcome()).isEqualTo("error");
            assertThat(failed.mcpSession()).isEqualTo(c.sessionId());
            assertThat(fx.sink.mcp(m -> "tools/list".equals(m.method()) && c.sessionId().equals(m.mcpSession())).reason()).contains("get-env");
        }
    }

    @Test
    void mcpOverHttpsIsInterceptedAndJudged() throws Exception {
        // the SDK-built server over TLS with a certificate from the "public" CA the proxy trusts upstream
        java.nio.file.Path key = fx.dir.resolve("mcp-key.pem");
        java.nio.file.Path cert = fx.dir.resolve("mcp-cert.pem");
        writePem(key, new org.bouncycastle.openssl.jcajce.JcaPKCS8Generator(fx.publicCa.leafPrivateKey(), null));
        writePem(cert, fx.publicCa.leafForNames(List.of("mcp.test")));
        try (McpServers.Running json = McpServers.startJsonResponseServer(java.util.Map.of("TLS_KEY", key.toString(), "TLS_CERT", cert.toString()))) {
            McpHttpClient c = new McpHttpClient(fx.proxy.explicitAddress(), URI.create("https://mcp.test:" + json.port() + "/mcp"),
                    trusting(fx.tetherCa.certificate()));
            c.initialize();
            assertThat(c.post(McpHttpClient.call(2, "echo", "{\"message\":\"over tls\"}")).raw()).contains("Echo: over tls");
            JsonNode env = c.post(McpHttpClient.call(3, "get-env", "{}")).messages().getFirst();
            assertThat(env.path("error").path("code").asInt()).isEqualTo(JsonRpc.DENIED_BY_POLICY);
            assertThat(c.post("{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"tools/list\"}").raw()).contains("echo").doesNotContain("get-env");
            fx.sink.exchange(x -> x.scheme().equals("https") && x.host().equals("mcp.test") && x.port() == json.port());
        }
    }

    static void writePem(java.nio.file.Path p, Object o) throws Exception {
        try (var w = new org.bouncycastle.openssl.jcajce.JcaPEMWriter(java.nio.file.Files.newBufferedWriter(p))) {
            w.writeObject(o);
        }
    }

    static javax.net.ssl.SSLContext trusting(java.security.cert.X509Certificate ca) throws Exception {
        java.security.KeyStore ks = java.security.KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setCertificateEntry("ca", ca);
        var tmf = javax.net.ssl.TrustManagerFactory.getInstance(javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ks);
        var ctx = javax.net.ssl.SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        return ctx;
    }

    private static JsonNode awaitMessage(BlockingQueue<String> lines, int id) throws Exception {
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (System.nanoTime() < deadline) {
            String l = lines.poll(1, TimeUnit.SECONDS);
            if (l == null || !l.startsWith("data: ")) continue;
            JsonNode n = McpHttpClient.JSON.readTree(l.substring(6));
            if (n.path("id").asInt(-1) == id) return n;
        }
        throw new AssertionError("no message with id " + id);
    }
}
