package dev.tether.proxy.testing;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Real MCP servers from the npm registry, installed once per build under {@code target/} and
 * started as child processes on free ports. Versions are pinned; both run on the host's Node 20.
 */
public final class McpServers {
    public static final String EVERYTHING = "@modelcontextprotocol/server-everything@2026.8.31";
    public static final String FILESYSTEM = "@modelcontextprotocol/server-filesystem@2026.8.31";
    private static final Path DIR = Path.of("target", "mcp-fixture").toAbsolutePath();

    private McpServers() {}

    /** Installs the servers (npm, from the registry) unless target/ already has them. */
    public static synchronized Path install() throws Exception {
        Path marker = DIR.resolve("node_modules/@modelcontextprotocol/server-filesystem/package.json");
        if (Files.exists(marker) && Files.exists(DIR.resolve("node_modules/@modelcontextprotocol/server-everything/package.json"))) {
            return DIR;
        }
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/node")), "node is not installed at /usr/bin/node");
        Files.createDirectories(DIR);
        Cmd.Result r = Cmd.run(List.of("npm", "install", "--no-audit", "--no-fund", "--prefix", DIR.toString(), EVERYTHING, FILESYSTEM),
                Map.of(), 300, false);
        if (r.exit() != 0) throw new IOException("npm install of the MCP test servers failed: " + r.err());
        return DIR;
    }

    public static Path everythingMain() throws Exception {
        return install().resolve("node_modules/@modelcontextprotocol/server-everything/dist/index.js");
    }

    public static Path filesystemMain() throws Exception {
        return install().resolve("node_modules/@modelcontextprotocol/server-filesystem/dist/index.js");
    }

    /** A server-everything over HTTP ("streamableHttp" or "sse") on a free loopback port. */
    public static Running startEverything(String transport) throws Exception {
        return startNode(List.of("node", everythingMain().toString(), transport), "everything-" + transport);
    }

    /** The SDK-built server that answers with JSON (src/test/resources/mcp/json-response-server.mjs). */
    public static Running startJsonResponseServer() throws Exception {
        return startJsonResponseServer(Map.of());
    }

    /** With {@code TLS_KEY}/{@code TLS_CERT} (PEM file paths) in {@code env} it serves HTTPS. */
    public static Running startJsonResponseServer(Map<String, String> env) throws Exception {
        Path script = install().resolve("json-response-server.mjs");
        try (var in = McpServers.class.getResourceAsStream("/mcp/json-response-server.mjs")) {
            Files.write(script, in.readAllBytes());
        }
        return startNode(List.of("node", script.toString()), "json", env);
    }

    private static Running startNode(List<String> argv, String label) throws Exception {
        return startNode(argv, label, Map.of());
    }

    private static Running startNode(List<String> argv, String label, Map<String, String> env) throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        ProcessBuilder pb = new ProcessBuilder(argv);
        pb.environment().put("PORT", String.valueOf(port));
        pb.environment().putAll(env);
        pb.redirectErrorStream(true);
        pb.redirectOutput(DIR.resolve(label + "-" + port + ".log").toFile());
        Process p = pb.start();
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (System.nanoTime() < deadline) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return new Running(p, port);
            } catch (IOException notYet) {
                if (!p.isAlive()) break;
                Thread.sleep(100);
            }
        }
        p.destroyForcibly();
        throw new IOException(label + " MCP server did not start; see " + DIR);
    }

    public record Running(Process process, int port) implements AutoCloseable {
        @Override
        public void close() {
            process.destroy();
        }
    }

    public static List<String> stdioEverything() throws Exception {
        return new ArrayList<>(List.of("node", everythingMain().toString(), "stdio"));
    }

    public static List<String> stdioFilesystem(Path root) throws Exception {
        return new ArrayList<>(List.of("node", filesystemMain().toString(), root.toString()));
    }
}
