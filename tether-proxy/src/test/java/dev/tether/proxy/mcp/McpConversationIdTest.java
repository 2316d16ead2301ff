package dev.tether.proxy.mcp;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tether.proxy.decide.HeaderRewrite;
import dev.tether.proxy.decide.ProxyDecisions;
import dev.tether.proxy.decide.Verdict;
import dev.tether.proxy.secret.SecretRedactor;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Found with McpJsonRpcFuzzTest's property (tether-fuzz): an answer whose id is request 7 written
 * as {@code 7.0} or {@code 7e0} was not matched to the request, so a {@code tools/list} answer
 * reached the client unfiltered, while clients match ids by value and took it as the answer.
 */
class McpConversationIdTest {
    private static final ProxyDecisions DENY_EXEC = new ProxyDecisions() {
        @Override
        public Verdict connect(String hostname, InetAddress address, int port) {
            return Verdict.allow("test");
        }

        @Override
        public Verdict mcpCall(String server, String tool, JsonNode arguments) {
            return tool.equals("exec") ? Verdict.deny("forbid policy9", "policy9") : Verdict.allow("permit", "policy1");
        }

        @Override
        public List<HeaderRewrite> headerRewrites(String hostname, int port) {
            return List.of();
        }
    };

    @Test
    void answersAreMatchedToRequestsByValue() throws Exception {
        for (String id : List.of("7", "7.0", "7e0", "70e-1")) {
            McpConversation c = new McpConversation("http", "fs", DENY_EXEC, e -> {}, new SecretRedactor());
            c.judgeClient(bytes("{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/list\"}"));
            byte[] out = c.rewriteServer(bytes("{\"jsonrpc\":\"2.0\",\"id\":" + id
                    + ",\"result\":{\"tools\":[{\"name\":\"read\"},{\"name\":\"exec\"}]}}"));
            JsonNode tools = JsonRpc.parse(out).path("result").path("tools");
            assertThat(tools).as("id %s", id).hasSize(1);
            assertThat(tools.get(0).path("name").asText()).isEqualTo("read");
            assertThat(c.pendingIds()).isEmpty();
        }
    }

    @Test
    void pendingRequestsFailWithTheirOwnIds() throws Exception {
        McpConversation c = new McpConversation("http", "fs", DENY_EXEC, e -> {}, new SecretRedactor());
        c.judgeClient(bytes("[{\"jsonrpc\":\"2.0\",\"id\":12345678901234567890,\"method\":\"tools/list\"},"
                + "{\"jsonrpc\":\"2.0\",\"id\":\"a\",\"method\":\"tools/list\"},{\"jsonrpc\":\"2.0\",\"id\":2.5,\"method\":\"tools/list\"}]"));
        List<String> ids = c.failPending(JsonRpc.UPSTREAM_TIMEOUT, "gone").stream().map(e -> e.get("id").toString()).sorted().toList();
        assertThat(ids).containsExactly("\"a\"", "12345678901234567890", "2.5");
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
