package dev.tether.cli.mcp;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tether.cli.Main;
import dev.tether.proxy.decide.HeaderRewrite;
import dev.tether.proxy.decide.ProxyDecisions;
import dev.tether.proxy.decide.Verdict;
import dev.tether.proxy.event.McpEvent;
import dev.tether.proxy.event.ProxyEvent;
import dev.tether.proxy.relay.RelayChannelServer;
import dev.tether.proxy.secret.SecretRedactor;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code tether mcp-relay} end to end: socket + token from the environment, a stdio server, the policy. */
class McpRelayCommandTest {
    static final ObjectMapper JSON = new ObjectMapper();

    /** Tool "safe" permitted, "danger" forbidden, everything else unlisted. */
    static final class TwoTools implements ProxyDecisions {
        @Override
        public Verdict connect(String hostname, InetAddress address, int port) {
            return Verdict.deny("n/a");
        }

        @Override
        public Verdict mcpCall(String server, String tool, JsonNode arguments) {
            if (tool.equals("danger")) return Verdict.deny("forbid f1 matched", "f1");
            return tool.equals("safe") ? Verdict.allow("permit p1", "p1") : Verdict.deny("no permit");
        }

        @Override
        public List<HeaderRewrite> headerRewrites(String hostname, int port) {
            return List.of();
        }
    }

    static final String FAKE_SERVER = """
            while IFS= read -r line; do
              case "$line" in
                *tools/list*) echo '{"jsonrpc":"2.0","id":1,"result":{"tools":[{"name":"safe"},{"name":"danger"}]}}';;
                *danger*) echo '{"jsonrpc":"2.0","id":2,"result":{"content":[{"type":"text","text":"REACHED-DANGER"}]}}';;
                *safe*) echo '{"jsonrpc":"2.0","id":3,"result":{"content":[{"type":"text","text":"ok-safe"}]}}';;
              esac
            done
            """;

    @Test
    void isASubcommandOfTether() {
        assertThat(Main.newCommandLine().getSubcommands()).containsKey("mcp-relay");
    }

    @Test
    void relaysAStdioServerUnderThePolicy() throws Exception {
        Path dir = Files.createTempDirectory("tether-relay-cli");
        String token = RelayChannelServer.newToken();
        Path tokenFile = Files.writeString(dir.resolve("relay.token"), token + "\n");
        List<ProxyEvent> events = new CopyOnWriteArrayList<>();
        try (RelayChannelServer server = RelayChannelServer.start(dir.resolve("relay.sock"), token, new TwoTools(), events::add,
                new SecretRedactor())) {
            McpRelayCommand cmd = new McpRelayCommand();
            String agent = String.join("\n",
                    "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}",
                    "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{\"name\":\"danger\",\"arguments\":{}}}",
                    "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/call\",\"params\":{\"name\":\"safe\",\"arguments\":{}}}") + "\n";
            cmd.in = new ByteArrayInputStream(agent.getBytes(StandardCharsets.UTF_8));
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            cmd.out = out;
            cmd.env = Map.of("TETHER_RELAY_SOCKET", server.socketPath().toString(), "TETHER_RELAY_TOKEN_FILE", tokenFile.toString());
            int exit = new CommandLine(cmd).execute("--server", "fake", "--", "sh", "-c", FAKE_SERVER);
            assertThat(exit).isZero();
            String text = out.toString(StandardCharsets.UTF_8);
            assertThat(text).doesNotContain("REACHED-DANGER").contains("ok-safe");
            for (String line : text.split("\n")) {
                JsonNode n = JSON.readTree(line);
                switch (n.path("id").asInt()) {
                    case 1 -> assertThat(n.path("result").path("tools").toString()).contains("safe").doesNotContain("danger");
                    case 2 -> assertThat(n.path("error").path("message").asText()).contains("denied by policy").contains("forbid f1");
                    case 3 -> assertThat(n.path("result").toString()).contains("ok-safe");
                    default -> throw new AssertionError("unexpected line " + line);
                }
            }
            assertThat(events).anySatisfy(e -> assertThat(e).isInstanceOfSatisfying(McpEvent.class,
                    m -> assertThat(m.target()).isEqualTo("danger")));
        }
    }

    @Test
    void withoutADaemonItSaysWhatIsMissing() throws Exception {
        McpRelayCommand cmd = new McpRelayCommand();
        cmd.env = Map.of("TETHER_RELAY_TOKEN_FILE", "/nonexistent/relay.token");
        StringWriter err = new StringWriter();
        CommandLine cli = Main.newCommandLine();
        cli.setErr(new PrintWriter(err));
        int exit = cli.execute("mcp-relay", "--token-file", "/nonexistent/relay.token", "--", "true");
        assertThat(exit).isNotZero();
        assertThat(err.toString()).contains("cannot read the relay token /nonexistent/relay.token");
    }
}
