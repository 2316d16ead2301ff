package dev.tether.proxy.relay;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tether.proxy.decide.ProxyDecisions;
import dev.tether.proxy.event.ProxyEventSink;
import dev.tether.proxy.mcp.JsonRpc;
import dev.tether.proxy.mcp.McpConversation;
import dev.tether.proxy.secret.SecretRedactor;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * Sits between an agent and a stdio MCP server ({@code tether mcp-relay -- CMD ARGS}): starts the
 * server, reads newline-delimited JSON-RPC from the agent, judges it with the same
 * {@link McpConversation} as the HTTP observer, forwards what is allowed, answers what is denied
 * with JSON-RPC errors, and filters the server's {@code tools/list} answers on the way back.
 * The server's stderr goes to the relay's stderr untouched.
 */
public final class StdioMcpRelay {
    /** Longest message the relay will hold to judge; longer ones are refused, never passed unjudged. */
    public static final int DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024 * 1024;
    private static final Set<String> LAUNCHERS = Set.of("npx", "node", "nodejs", "uvx", "uv", "python", "python3", "bunx", "bun", "deno", "pipx");

    private final McpConversation conversation;
    private final List<String> command;
    private final int maxMessageBytes;

    public StdioMcpRelay(List<String> command, String serverName, ProxyDecisions decisions, ProxyEventSink events,
            SecretRedactor redactor, int maxMessageBytes) {
        if (command.isEmpty()) throw new IllegalArgumentException("mcp-relay needs the server command after --");
        this.command = List.copyOf(command);
        this.conversation = new McpConversation("stdio", serverName != null ? serverName : defaultServerName(command),
                decisions, events, redactor);
        this.maxMessageBytes = maxMessageBytes;
    }

    /**
     * The name used as {@code MCP::Server} when none is given: the package or script the launcher
     * runs ({@code npx -y @scope/server-x@1} → {@code server-x}), else the command's file name.
     */
    public static String defaultServerName(List<String> command) {
        String exe = Path.of(command.getFirst()).getFileName().toString();
        if (LAUNCHERS.contains(exe)) {
            for (String a : command.subList(1, command.size())) {
                if (a.startsWith("-") || a.equals("run") || a.equals("exec")) continue;
                String n = a;
                int slash = n.lastIndexOf('/');
                if (slash >= 0) n = n.substring(slash + 1);
                int at = n.indexOf('@', 1);
                if (at > 0) n = n.substring(0, at);
                if (n.endsWith(".js") || n.endsWith(".py") || n.endsWith(".mjs")) n = n.substring(0, n.lastIndexOf('.'));
                if (n.equals("index") || n.equals("main")) {
                    Path p = Path.of(a).getParent();
                    while (p != null && (p.getFileName().toString().equals("dist") || p.getFileName().toString().equals("build"))) p = p.getParent();
                    if (p != null) n = p.getFileName().toString();
                }
                return n;
            }
        }
        return exe;
    }

    public String serverName() {
        return conversation.server();
    }

    /** Runs until the agent closes its side or the server exits; returns the server's exit code. */
    public int run(InputStream fromAgent, OutputStream toAgent) throws IOException, InterruptedException {
        Process server = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        LineWriter agentOut = new LineWriter(toAgent);
        OutputStream serverIn = server.getOutputStream();
        Thread back = Thread.ofVirtual().name("mcp-relay-server").start(() -> pumpServer(server.getInputStream(), agentOut));
        try {
            pumpAgent(fromAgent, serverIn, agentOut);
        } finally {
            try {
                serverIn.close();
            } catch (IOException ignored) {
                // server already gone
            }
        }
        int code = server.waitFor();
        back.join();
        conversation.abandonPending("MCP server exited");
        return code;
    }

    private void pumpAgent(InputStream in, OutputStream serverIn, LineWriter agentOut) throws IOException {
        LineReader r = new LineReader(in, maxMessageBytes);
        for (LineReader.Line line; (line = r.next()) != null; ) {
            if (line.tooLong()) {
                agentOut.write(JsonRpc.write(JsonRpc.error(null, JsonRpc.TOO_LARGE,
                        "tether: message over " + maxMessageBytes + " bytes: too large to inspect, refused", null)));
                continue;
            }
            if (isBlank(line.bytes())) continue;
            switch (conversation.judgeClient(line.bytes())) {
                case McpConversation.ClientJudgement.NotJsonRpc n ->
                        agentOut.write(JsonRpc.write(JsonRpc.error(null, JsonRpc.INVALID_REQUEST, "tether: not a JSON-RPC message", null)));
                case McpConversation.ClientJudgement.Refused ref -> agentOut.write(JsonRpc.write(ref.errorResponse()));
                case McpConversation.ClientJudgement.Judged j -> {
                    if (j.forward() != null) {
                        try {
                            serverIn.write(j.forward());
                            serverIn.write('\n');
                            serverIn.flush();
                        } catch (IOException serverGone) {
                            return;
                        }
                    }
                    if (!j.errors().isEmpty()) {
                        if (j.batch()) {
                            ArrayNode a = JsonNodeFactory.instance.arrayNode();
                            j.errors().forEach(a::add);
                            agentOut.write(JsonRpc.write(a));
                        } else {
                            for (ObjectNode e : j.errors()) agentOut.write(JsonRpc.write(e));
                        }
                    }
                }
            }
        }
    }

    private void pumpServer(InputStream in, LineWriter agentOut) {
        try {
            LineReader r = new LineReader(in, maxMessageBytes);
            for (LineReader.Line line; (line = r.next()) != null; ) {
                if (line.tooLong() || isBlank(line.bytes())) continue;
                byte[] out = conversation.rewriteServer(line.bytes());
                if (out != null) agentOut.write(out);
            }
        } catch (IOException e) {
            // server closed its stdout
        }
    }

    private static boolean isBlank(byte[] b) {
        for (byte x : b) if (x != ' ' && x != '\t' && x != '\r') return false;
        return true;
    }

    /** One message per line, whole lines only, from two threads. */
    private static final class LineWriter {
        private final OutputStream out;

        LineWriter(OutputStream out) {
            this.out = out;
        }

        synchronized void write(byte[] msg) throws IOException {
            out.write(msg);
            out.write('\n');
            out.flush();
        }
    }

    /** Reads newline-terminated messages; a line over the limit is skipped and reported once. */
    static final class LineReader {
        record Line(byte[] bytes, boolean tooLong) {}

        private final InputStream in;
        private final int max;
        private final byte[] buf = new byte[64 * 1024];
        private int pos;
        private int len;

        LineReader(InputStream in, int max) {
            this.in = in;
            this.max = max;
        }

        Line next() throws IOException {
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            boolean over = false;
            while (true) {
                if (pos == len) {
                    len = in.read(buf);
                    pos = 0;
                    if (len <= 0) {
                        len = 0;
                        return line.size() > 0 || over ? new Line(line.toByteArray(), over) : null;
                    }
                }
                int start = pos;
                while (pos < len && buf[pos] != '\n') pos++;
                int n = pos - start;
                if (!over) {
                    if (line.size() + n > max) {
                        over = true;
                        line.reset();
                    } else {
                        line.write(buf, start, n);
                    }
                }
                if (pos < len) {
                    pos++; // the newline
                    return new Line(over ? new byte[0] : line.toByteArray(), over);
                }
            }
        }
    }
}
