package dev.tether.proxy.relay;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tether.proxy.decide.ProxyDecisions;
import dev.tether.proxy.decide.Verdict;
import dev.tether.proxy.event.McpEvent;
import dev.tether.proxy.event.ProxyEventSink;
import dev.tether.proxy.event.ProxyNotice;
import dev.tether.proxy.secret.SecretRedactor;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * The daemon's end of the channel the stdio MCP relay (which runs inside the sandbox) uses to ask
 * for decisions and to report events. A Unix stream socket, exposed into one session's sandbox
 * by bind mount, speaking newline-delimited JSON; the first line must carry the session's relay
 * token (256 random bits, compared in constant time), so a socket reachable by mistake from
 * elsewhere answers nothing. Protocol: see docs/mcp.md.
 */
public final class RelayChannelServer implements AutoCloseable {
    static final int MAX_LINE = 64 * 1024 * 1024;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final ServerSocketChannel server;
    private final Path socketPath;
    private final byte[] token;
    private final ProxyDecisions decisions;
    private final ProxyEventSink events;
    private final SecretRedactor redactor;
    private final Thread acceptor;
    private final List<SocketChannel> open = new ArrayList<>();

    private RelayChannelServer(ServerSocketChannel server, Path socketPath, byte[] token, ProxyDecisions decisions,
            ProxyEventSink events, SecretRedactor redactor) {
        this.server = server;
        this.socketPath = socketPath;
        this.token = token;
        this.decisions = decisions;
        this.events = events;
        this.redactor = redactor;
        this.acceptor = Thread.ofVirtual().name("mcp-relay-channel").start(this::acceptLoop);
    }

    /** A new random relay token, hex-encoded (write it to a file the sandbox can read). */
    public static String newToken() {
        byte[] b = new byte[32];
        new SecureRandom().nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    /**
     * Listens on {@code socketPath} (replacing a stale socket file). Decisions come from
     * {@code decisions} (the session's live policy); events from relays go to {@code events}
     * after redaction.
     */
    public static RelayChannelServer start(Path socketPath, String token, ProxyDecisions decisions, ProxyEventSink events,
            SecretRedactor redactor) throws IOException {
        Files.deleteIfExists(socketPath);
        ServerSocketChannel s = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        s.bind(UnixDomainSocketAddress.of(socketPath));
        // the token authenticates; the mode only has to let the sandbox's (possibly remapped) user connect
        Files.setPosixFilePermissions(socketPath, PosixFilePermissions.fromString("rw-rw-rw-"));
        return new RelayChannelServer(s, socketPath, token.getBytes(StandardCharsets.US_ASCII), decisions, events, redactor);
    }

    public Path socketPath() {
        return socketPath;
    }

    private void acceptLoop() {
        while (server.isOpen()) {
            try {
                SocketChannel c = server.accept();
                synchronized (open) {
                    open.add(c);
                }
                Thread.ofVirtual().name("mcp-relay-conn").start(() -> serve(c));
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    private void serve(SocketChannel c) {
        try (c; BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(c), StandardCharsets.UTF_8));
                OutputStream out = Channels.newOutputStream(c)) {
            String hello = in.readLine();
            if (hello == null) return;
            JsonNode h = parse(hello);
            byte[] presented = h == null ? new byte[0] : h.path("hello").asText("").getBytes(StandardCharsets.US_ASCII);
            if (!MessageDigest.isEqual(presented, token)) {
                reply(out, JSON.createObjectNode().put("ok", false).put("error", "bad relay token"));
                events.emit(new ProxyNotice(Instant.now(), ProxyNotice.Kind.MALFORMED_INPUT, null,
                        "MCP relay channel: connection with a bad token refused"));
                return;
            }
            reply(out, JSON.createObjectNode().put("ok", true));
            for (String line; (line = in.readLine()) != null; ) {
                if (line.length() > MAX_LINE) {
                    reply(out, JSON.createObjectNode().put("error", "line too long"));
                    continue;
                }
                reply(out, handle(parse(line)));
            }
        } catch (IOException e) {
            // relay went away
        } finally {
            synchronized (open) {
                open.remove(c);
            }
        }
    }

    private ObjectNode handle(JsonNode req) {
        if (req == null) return JSON.createObjectNode().put("error", "malformed request");
        String op = req.path("op").asText("");
        switch (op) {
            case "mcpCall" -> {
                JsonNode args = req.get("arguments");
                Verdict v = decisions.mcpCall(req.path("server").asText(), req.path("tool").asText(),
                        args == null || args.isNull() ? null : args);
                ObjectNode o = JSON.createObjectNode().put("allowed", v.allowed()).put("reason", v.reason())
                        .put("shadowDenied", v.shadowDenied());
                v.policyIds().forEach(o.putArray("policyIds")::add);
                if (!o.has("policyIds")) o.putArray("policyIds");
                return o;
            }
            case "toolListed" -> {
                return JSON.createObjectNode().put("listed", decisions.mcpToolListed(req.path("server").asText(), req.path("tool").asText()));
            }
            case "event" -> {
                JsonNode e = req.path("event");
                Verdict v = null;
                if (e.hasNonNull("verdict")) {
                    JsonNode jv = e.path("verdict");
                    List<String> ids = new ArrayList<>();
                    jv.path("policyIds").forEach(n -> ids.add(n.asText()));
                    v = new Verdict(jv.path("allowed").asBoolean(), ids, redactor.redact(jv.path("reason").asText("")),
                            jv.path("allowed").asBoolean() && jv.path("shadowDenied").asBoolean());
                }
                events.emit(new McpEvent(Instant.now(), "stdio", e.path("server").asText(), e.path("method").asText(),
                        e.path("target").isNull() ? null : e.path("target").asText(null), redactor.redact(e.get("arguments")),
                        e.path("requestId").asText(null), v, e.path("outcome").asText(""),
                        redactor.redact(e.path("detail").asText("")), e.path("durationNanos").asLong(), null));
                return JSON.createObjectNode().put("ok", true);
            }
            default -> {
                return JSON.createObjectNode().put("error", "unknown op '" + op + "'");
            }
        }
    }

    private static JsonNode parse(String line) {
        try {
            return JSON.readTree(line);
        } catch (IOException e) {
            return null;
        }
    }

    private static void reply(OutputStream out, ObjectNode o) throws IOException {
        out.write(JSON.writeValueAsBytes(o));
        out.write('\n');
        out.flush();
    }

    @Override
    public void close() throws IOException {
        server.close();
        synchronized (open) {
            for (SocketChannel c : open) c.close();
        }
        acceptor.interrupt();
        Files.deleteIfExists(socketPath);
    }
}
