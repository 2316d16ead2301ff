package dev.tether.cli.mcp;

import dev.tether.cli.UserError;
import dev.tether.proxy.relay.RelayChannelClient;
import dev.tether.proxy.relay.StdioMcpRelay;
import dev.tether.proxy.secret.SecretRedactor;
import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code tether mcp-relay [--server NAME] -- CMD [ARGS...]}: runs a stdio MCP server behind the
 * policy. Runs inside the sandbox (the agent's MCP config launches it instead of the server) and
 * asks the daemon over the session's relay socket.
 */
@Command(name = "mcp-relay", mixinStandardHelpOptions = true, description = {
        "Run a stdio MCP server behind tether's policy (inside the sandbox).",
        "Decisions come from the tether daemon over the session's relay socket."})
public final class McpRelayCommand implements Callable<Integer> {
    static final String ENV_SOCKET = "TETHER_RELAY_SOCKET";
    static final String ENV_TOKEN_FILE = "TETHER_RELAY_TOKEN_FILE";
    static final String DEFAULT_SOCKET = "/run/tether/relay.sock";
    static final String DEFAULT_TOKEN_FILE = "/run/tether/relay.token";

    @Option(names = "--server", paramLabel = "NAME",
            description = "Name the policy uses for this server (MCP::Server::\"NAME\"); default: derived from the command.")
    String server;

    @Option(names = "--socket", paramLabel = "PATH", description = "Relay socket (default: $" + ENV_SOCKET + " or " + DEFAULT_SOCKET + ").")
    Path socket;

    @Option(names = "--token-file", paramLabel = "PATH",
            description = "File holding the relay token (default: $" + ENV_TOKEN_FILE + " or " + DEFAULT_TOKEN_FILE + ").")
    Path tokenFile;

    @Parameters(arity = "1..*", paramLabel = "CMD", description = "The MCP server command and its arguments (after --).")
    List<String> command;

    /** Standard streams, replaceable by tests; the relay speaks raw bytes, never through System.out. */
    InputStream in = new FileInputStream(FileDescriptor.in);
    OutputStream out = new FileOutputStream(FileDescriptor.out);
    Map<String, String> env = System.getenv();

    @Override
    public Integer call() throws Exception {
        Path sock = socket != null ? socket : Path.of(env.getOrDefault(ENV_SOCKET, DEFAULT_SOCKET));
        Path tok = tokenFile != null ? tokenFile : Path.of(env.getOrDefault(ENV_TOKEN_FILE, DEFAULT_TOKEN_FILE));
        String token;
        try {
            token = Files.readString(tok, StandardCharsets.US_ASCII).strip();
        } catch (IOException e) {
            throw new UserError("cannot read the relay token " + tok + ": " + e.getMessage()
                    + " (mcp-relay runs inside a tether sandbox; set --token-file or $" + ENV_TOKEN_FILE + ")");
        }
        if (!Files.exists(sock)) {
            throw new UserError("the relay socket " + sock + " does not exist (is the tether daemon running this session?)");
        }
        try (RelayChannelClient daemon = new RelayChannelClient(sock, token)) {
            StdioMcpRelay relay = new StdioMcpRelay(command, server, daemon, daemon, new SecretRedactor(),
                    StdioMcpRelay.DEFAULT_MAX_MESSAGE_BYTES);
            try {
                return relay.run(in, out);
            } catch (IOException e) {
                throw new UserError("cannot run MCP server " + command.getFirst() + ": " + e.getMessage(), 127);
            }
        }
    }
}
