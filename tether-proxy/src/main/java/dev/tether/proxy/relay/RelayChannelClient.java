package dev.tether.proxy.relay;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tether.proxy.decide.HeaderRewrite;
import dev.tether.proxy.decide.ProxyDecisions;
import dev.tether.proxy.decide.Verdict;
import dev.tether.proxy.event.McpEvent;
import dev.tether.proxy.event.ProxyEvent;
import dev.tether.proxy.event.ProxyEventSink;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The relay's end of {@link RelayChannelServer}: decisions and event reporting over the session's
 * Unix socket. Fails closed: when the daemon cannot be reached every tool call is denied with a
 * reason that says so.
 */
public final class RelayChannelClient implements ProxyDecisions, ProxyEventSink, AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final Path socket;
    private final String token;
    private SocketChannel channel;
    private BufferedReader in;
    private OutputStream out;

    public RelayChannelClient(Path socket, String token) {
        this.socket = socket;
        this.token = token;
    }

    private synchronized JsonNode ask(ObjectNode req) throws IOException {
        for (int attempt = 0; ; attempt++) {
            try {
                if (channel == null) open();
                out.write(JSON.writeValueAsBytes(req));
                out.write('\n');
                out.flush();
                String line = in.readLine();
                if (line == null) throw new IOException("the tether daemon closed the relay channel");
                JsonNode r = JSON.readTree(line);
                if (r.has("error")) throw new IOException("the tether daemon refused: " + r.path("error").asText());
                return r;
            } catch (IOException e) {
                closeQuietly();
                if (attempt >= 1) throw e;
            }
        }
    }

    private void open() throws IOException {
        SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX);
        c.connect(UnixDomainSocketAddress.of(socket));
        BufferedReader r = new BufferedReader(new InputStreamReader(Channels.newInputStream(c), StandardCharsets.UTF_8));
        OutputStream o = Channels.newOutputStream(c);
        o.write(JSON.writeValueAsBytes(JSON.createObjectNode().put("v", 1).put("hello", token)));
        o.write('\n');
        o.flush();
        String ack = r.readLine();
        if (ack == null || !JSON.readTree(ack).path("ok").asBoolean(false)) {
            c.close();
            throw new IOException("the tether daemon refused the relay token");
        }
        channel = c;
        in = r;
        out = o;
    }

    @Override
    public Verdict mcpCall(String server, String tool, JsonNode arguments) {
        ObjectNode req = JSON.createObjectNode().put("op", "mcpCall").put("server", server).put("tool", tool);
        req.set("arguments", arguments);
        try {
            JsonNode r = ask(req);
            List<String> ids = new ArrayList<>();
            r.path("policyIds").forEach(n -> ids.add(n.asText()));
            boolean allowed = r.path("allowed").asBoolean(false);
            return new Verdict(allowed, ids, r.path("reason").asText(""), allowed && r.path("shadowDenied").asBoolean(false));
        } catch (IOException e) {
            return Verdict.deny("tether daemon unreachable over " + socket + " (" + e.getMessage() + "): denied");
        }
    }

    @Override
    public boolean mcpToolListed(String server, String tool) {
        try {
            return ask(JSON.createObjectNode().put("op", "toolListed").put("server", server).put("tool", tool)).path("listed").asBoolean(true);
        } catch (IOException e) {
            return true; // calls are still denied when the daemon is unreachable
        }
    }

    /** The relay never connects anywhere itself: network decisions belong to the proxy and kernel. */
    @Override
    public Verdict connect(String hostname, InetAddress address, int port) {
        return Verdict.deny("not decided by the MCP relay");
    }

    @Override
    public List<HeaderRewrite> headerRewrites(String hostname, int port) {
        return List.of();
    }

    @Override
    public void emit(ProxyEvent event) {
        if (!(event instanceof McpEvent e)) return;
        ObjectNode ev = JSON.createObjectNode().put("server", e.server()).put("method", e.method()).put("target", e.target())
                .put("requestId", e.requestId()).put("outcome", e.outcome()).put("detail", e.detail())
                .put("durationNanos", e.durationNanos());
        ev.set("arguments", e.arguments());
        if (e.verdict() != null) {
            ObjectNode v = ev.putObject("verdict").put("allowed", e.verdict().allowed()).put("reason", e.verdict().reason())
                    .put("shadowDenied", e.verdict().shadowDenied());
            e.verdict().policyIds().forEach(v.putArray("policyIds")::add);
        }
        ObjectNode req = JSON.createObjectNode().put("op", "event");
        req.set("event", ev);
        try {
            ask(req);
        } catch (IOException ignored) {
            // the decision already happened; a lost event is reported by the daemon's own gap
        }
    }

    private void closeQuietly() {
        try {
            if (channel != null) channel.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        channel = null;
    }

    @Override
    public synchronized void close() {
        closeQuietly();
    }
}
