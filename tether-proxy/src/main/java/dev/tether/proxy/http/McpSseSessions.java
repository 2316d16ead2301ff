package dev.tether.proxy.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tether.proxy.mcp.JsonRpc;
import dev.tether.proxy.mcp.McpConversation;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.DefaultHttpContent;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * MCP sessions of the older HTTP+SSE transport: the server announces a POST endpoint in an
 * {@code endpoint} event on a GET stream, requests go to that endpoint (answered 202) and
 * responses come back on the stream. The proxy links the two through this registry, keyed by the
 * endpoint's host, port and path with query.
 */
final class McpSseSessions {
    /** One live stream: its conversation and the sandbox-side channel the stream is written to. */
    record Session(McpConversation conversation, Channel clientChannel) {
        /** Delivers tether's own JSON-RPC messages (denials) on the stream, as {@code message} events. */
        void inject(List<ObjectNode> messages) {
            clientChannel.eventLoop().execute(() -> {
                for (ObjectNode m : messages) {
                    String ev = "event: message\ndata: " + new String(JsonRpc.write(m), StandardCharsets.UTF_8) + "\n\n";
                    clientChannel.write(new DefaultHttpContent(Unpooled.copiedBuffer(ev, StandardCharsets.UTF_8)));
                }
                clientChannel.flush();
            });
        }
    }

    private final ConcurrentHashMap<String, Session> byEndpoint = new ConcurrentHashMap<>();

    static String key(String host, int port, String pathAndQuery) {
        return host + ':' + port + pathAndQuery;
    }

    void register(String key, Session s) {
        byEndpoint.put(key, s);
    }

    Session find(String key) {
        return byEndpoint.get(key);
    }

    void remove(String key, Session s) {
        byEndpoint.remove(key, s);
    }
}
