package dev.tether.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tether.proxy.event.McpEvent;
import dev.tether.proxy.mcp.JsonRpc;
import dev.tether.proxy.relay.RelayChannelClient;
import dev.tether.proxy.relay.RelayChannelServer;
import dev.tether.proxy.relay.StdioMcpRelay;
import dev.tether.proxy.secret.SecretRedactor;
import dev.tether.proxy.testing.McpHttpClient;
import dev.tether.proxy.testing.McpServers;
import dev.tether.proxy.testing.RecordingSink;
import dev.tether.proxy.testing.RuleDecisions;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The stdio relay between a test "agent" (pipes) and real stdio MCP servers from npm, asking a
 * real {@link RelayChannelServer} over a Unix socket, as it would inside a sandbox.
 */
class StdioRelayTest {
    Path dir;
    final RuleDecisions rules = new RuleDecisions();
    final RecordingSink sink = new RecordingSink();
    RelayChannelServer channel;
    RelayChannelClient client;
    Session session;

    @BeforeEach
    void start() throws Exception {
        dir = Files.createTempDirectory("tether-relay");
        String token = RelayChannelServer.newToken();
        channel = RelayChannelServer.start(dir.resolve("relay.sock"), token, rules, sink, new SecretRedactor());
        client = new RelayChannelClient(dir.resolve("relay.sock"), token);
    }

    @AfterEach
    void stop() throws Exception {
        if (session != null) session.close();
        client.close();
        channel.close();
    }

    /** An agent's view: write lines to the relay, read its lines back. */
    final class Session implements AutoCloseable {
        final PipedOutputStream toRelay = new PipedOutputStream();
        final BufferedReader fromRelay;
        final CompletableFuture<Integer> exit;
        final StdioMcpRelay relay;

        Session(List<String> cmd, String name) throws Exception {
            PipedInputStream relayIn = new PipedInputStream(toRelay, 1 << 20);
            PipedInputStream agentIn = new PipedInputStream(1 << 20);
            OutputStream relayOut = new PipedOutputStream(agentIn);
            fromRelay = new BufferedReader(new InputStreamReader(agentIn, StandardCharsets.UTF_8));
            relay = new StdioMcpRelay(cmd, name, client, client, new SecretRedactor(), 1 << 20);
            exit = CompletableFuture.supplyAsync(() -> {
                try {
                    return relay.run(relayIn, relayOut);
                } catch (Exception e) {
                    throw new RuntimeException(e);
                } finally {
                    try {
                        relayOut.close();
                    } catch (Exception ignored) {
                        // closing
                    }
                }
            });
        }

        void send(String line) throws Exception {
            toRelay.write((line + "\n").getBytes(StandardCharsets.UTF_8));
            toRelay.flush();
        }

        JsonNode await(int id) throws Exception {
            long deadline = System.nanoTime() + 30_000_000_000L;
            while (System.nanoTime() < deadline) {
                String l = fromRelay.readLine();
                if (l == null) break;
                JsonNode n = McpHttpClient.JSON.readTree(l);
                if (n.isArray()) {
                    for (JsonNode x : n) if (x.path("id").asInt(-1) == id) return x;
                } else if (n.path("id").asInt(-1) == id) {
                    return n;
                }
            }
            throw new AssertionError("no reply with id " + id);
        }

        void initialize() throws Exception {
            send("{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-03-26\",\"capabilities\":{},\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}");
            assertThat(await(0).has("result")).isTrue();
            send("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}");
        }

        List<String> toolNames(int id) throws Exception {
            send("{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"method\":\"tools/list\"}");
            List<String> names = new ArrayList<>();
            await(id).path("result").path("tools").forEach(t -> names.add(t.path("name").asText()));
            return names;
        }

        @Override
        public void close() throws Exception {
            toRelay.close();
            exit.get(20, TimeUnit.SECONDS);
        }
    }

    @Test
    void everythingOverStdio() throws Exception {
        rules.permitTool("t-echo", "everything", "echo").forbidTool("f-env", "*", "get-env").permitTool("t-env", "*", "get-env");
        session = new Session(McpServers.stdioEverything(), "everything");
        session.initialize();
        assertThat(session.toolNames(1)).contains("echo").doesNotContain("get-env");
        session.send(McpHttpClient.call(2, "echo", "{\"message\":\"via relay\"}"));
        assertThat(session.await(2).toString()).contains("via relay");
        session.send(McpHttpClient.call(3, "get-env", "{}"));
        assertThat(session.await(3).path("error").path("code").asInt()).isEqualTo(JsonRpc.DENIED_BY_POLICY);
        session.send(McpHttpClient.call(4, "get-tiny-image", "{}"));
        assertThat(session.await(4).path("error").path("message").asText()).contains("no permit");
        // malformed input: a clear error, and the relay carries on
        session.send("{\"jsonrpc\":\"2.0\",\"id\":5,");
        assertThat(session.await(-1).path("error").path("code").asInt()).isEqualTo(JsonRpc.PARSE_ERROR);
        session.send("[" + McpHttpClient.call(6, "echo", "{\"message\":\"b\"}") + "," + McpHttpClient.call(7, "get-env", "{}") + "]");
        assertThat(session.await(7).path("error").path("code").asInt()).isEqualTo(JsonRpc.DENIED_BY_POLICY);
        session.send(McpHttpClient.call(8, "echo", "{\"message\":\"after\"}"));
        assertThat(session.await(8).toString()).contains("after");
        McpEvent e = sink.mcp(m -> m.transport().equals("stdio") && "echo".equals(m.target()) && "2".equals(m.requestId()));
        assertThat(e.outcome()).isEqualTo("ok");
        assertThat(e.server()).isEqualTo("everything");
        assertThat(sink.mcp(m -> "get-env".equals(m.target()) && !m.allowed()).policyIds()).containsExactly("f-env");
    }

    @Test
    void filesystemServerWithArgumentConditions() throws Exception {
        Path root = Files.createDirectories(dir.resolve("workspace"));
        Files.writeString(root.resolve("notes.txt"), "inside the workspace\n");
        Path outside = Files.writeString(dir.resolve("secret.txt"), "outside\n");
        String prefix = root.toRealPath() + "/";
        rules.permitTool("t-read", "server-filesystem", "read_text_file", a -> a.get("path").asText().startsWith(prefix))
                .permitTool("t-list", "server-filesystem", "list_allowed_directories")
                .forbidTool("f-write", "server-filesystem", "write_file");
        List<String> cmd = McpServers.stdioFilesystem(root);
        assertThat(StdioMcpRelay.defaultServerName(cmd)).isEqualTo("server-filesystem");
        session = new Session(cmd, null);
        session.initialize();
        List<String> tools = session.toolNames(1);
        assertThat(tools).contains("read_text_file").doesNotContain("write_file");
        session.send(McpHttpClient.call(2, "read_text_file", "{\"path\":\"" + root.toRealPath().resolve("notes.txt") + "\"}"));
        assertThat(session.await(2).toString()).contains("inside the workspace");
        session.send(McpHttpClient.call(3, "read_text_file", "{\"path\":\"" + outside + "\"}"));
        JsonNode denied = session.await(3);
        assertThat(denied.path("error").path("code").asInt()).isEqualTo(JsonRpc.DENIED_BY_POLICY);
        session.send(McpHttpClient.call(4, "write_file", "{\"path\":\"" + root.resolve("x") + "\",\"content\":\"y\"}"));
        assertThat(session.await(4).path("error").path("message").asText()).contains("f-write");
        assertThat(root.resolve("x")).doesNotExist();
    }

    @Test
    void aWrongTokenIsRefusedAndTheRelayFailsClosed() throws Exception {
        try (RelayChannelClient bad = new RelayChannelClient(dir.resolve("relay.sock"), "not-the-token")) {
            rules.permitTool("t-echo", "*", "echo");
            assertThat(bad.mcpCall("x", "echo", null).allowed()).isFalse();
            assertThat(bad.mcpCall("x", "echo", null).reason()).contains("unreachable").contains("token");
        }
        assertThat(client.mcpCall("x", "echo", null).allowed()).isTrue();
    }
}
