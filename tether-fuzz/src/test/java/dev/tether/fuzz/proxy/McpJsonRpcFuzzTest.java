package dev.tether.fuzz.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.DictionaryFile;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tether.proxy.decide.HeaderRewrite;
import dev.tether.proxy.decide.ProxyDecisions;
import dev.tether.proxy.decide.Verdict;
import dev.tether.proxy.mcp.McpConversation;
import dev.tether.proxy.mcp.McpConversation.ClientJudgement;
import dev.tether.proxy.secret.SecretRedactor;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * MCP JSON-RPC as the proxy's observer judges it ({@link McpConversation}): what the agent sends
 * and what the server answers. Never an exception; and the decisive property, read the way the
 * receiving side reads it (a lenient JSON parser, last duplicate key wins, ids equal by value as
 * in JavaScript): nothing forwarded to the server calls a tool the policy denies, and a
 * {@code tools/list} answer delivered to the agent lists no tool the policy hides.
 *
 * <p>Input: the agent's message, then optionally a 0xFF byte (never part of UTF-8 JSON) and the
 * server's answer to an earlier {@code tools/list} request with id 7.
 */
class McpJsonRpcFuzzTest {
    private static final ObjectMapper LENIENT = new ObjectMapper();

    /** Denies (with a determining forbid) tools named exec or starting with rm; allows the rest. */
    private static final class ToolRules implements ProxyDecisions {
        static boolean denied(String tool) {
            return tool.equals("exec") || tool.startsWith("rm");
        }

        @Override
        public Verdict connect(String hostname, InetAddress address, int port) {
            return Verdict.allow("test");
        }

        @Override
        public Verdict mcpCall(String server, String tool, JsonNode arguments) {
            return denied(tool) ? Verdict.deny("forbid policy9 matched " + tool, "policy9") : Verdict.allow("permit", "policy1");
        }

        @Override
        public List<HeaderRewrite> headerRewrites(String hostname, int port) {
            return List.of();
        }
    }

    @FuzzTest
    @DictionaryFile(resourcePath = "jsonrpc.dict")
    void mcpJsonRpc(byte[] input) {
        int split = indexOf(input, (byte) 0xff);
        byte[] client = split < 0 ? input : Arrays.copyOf(input, split);
        byte[] server = split < 0 ? null : Arrays.copyOfRange(input, split + 1, input.length);

        List<Object> events = new ArrayList<>();
        McpConversation conv = new McpConversation("http", "fs", new ToolRules(), events::add, new SecretRedactor());
        assertThat(conv.judgeClient("{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/list\"}".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(ClientJudgement.Judged.class);

        ClientJudgement j = conv.judgeClient(client);
        switch (j) {
            case ClientJudgement.Refused r -> assertThat(r.errorResponse().path("error").path("code").isInt()).isTrue();
            case ClientJudgement.NotJsonRpc n -> assertNoDeniedCall(client);
            case ClientJudgement.Judged judged -> {
                if (judged.forward() != null) {
                    assertNoDeniedCall(judged.forward());
                }
                judged.errors().forEach(e -> assertThat(e.path("error").path("code").isInt()).isTrue());
            }
        }
        if (server != null) {
            byte[] delivered = conv.rewriteServer(server);
            if (delivered != null) {
                assertNoHiddenTool(delivered);
            }
        }
    }

    /** Every tools/call the receiving server would see names an allowed tool. */
    private static void assertNoDeniedCall(byte[] forwarded) {
        JsonNode root = lenient(forwarded);
        if (root == null) {
            return;
        }
        for (JsonNode item : root.isArray() ? root : List.of(root)) {
            if (item.isObject() && "tools/call".equals(item.path("method").asText(null))) {
                String tool = item.path("params").path("name").asText("");
                assertThat(ToolRules.denied(tool)).as("forwarded a denied call: %s", item).isFalse();
            }
        }
    }

    /** The answer to request 7 (matched by value, as a JavaScript client matches ids) lists no hidden tool. */
    private static void assertNoHiddenTool(byte[] delivered) {
        JsonNode root = lenient(delivered);
        if (root == null) {
            return;
        }
        for (JsonNode item : root.isArray() ? root : List.of(root)) {
            JsonNode id = item.path("id");
            // by value, as a client does (Number(id)); an id that overflows to Infinity is not 7
            boolean answersSeven = id.isNumber() && id.doubleValue() == 7.0;
            if (!item.isObject() || !answersSeven || item.has("method")) {
                continue;
            }
            // the client takes the first answer to its request and drops any later one
            if (!item.path("result").path("tools").isArray()) {
                return;
            }
            for (JsonNode tool : item.path("result").path("tools")) {
                String name = tool.path("name").asText(null);
                assertThat(name != null && ToolRules.denied(name)).as("a hidden tool was listed: %s", item).isFalse();
            }
            return;
        }
    }

    private static JsonNode lenient(byte[] json) {
        try {
            return LENIENT.readTree(json);
        } catch (IOException e) {
            return null;
        }
    }

    private static int indexOf(byte[] b, byte v) {
        for (int i = 0; i < b.length; i++) {
            if (b[i] == v) {
                return i;
            }
        }
        return -1;
    }
}
