package dev.tether.proxy.event;

import dev.tether.events.Event;
import dev.tether.events.EventBus;
import dev.tether.events.EventKind;
import dev.tether.events.EventLayer;
import dev.tether.events.HttpDetail;
import dev.tether.events.McpDetail;
import dev.tether.events.NetworkDetail;
import dev.tether.proxy.decide.Verdict;
import java.net.InetAddress;
import java.util.List;

/**
 * Publishes one session's proxy events on tether's {@link EventBus} in the shared event model
 * (docs/events.md): a request is an {@code HttpRequest} event, a refused CONNECT/TLS connection a
 * {@code NetworkConnect}, each injected header an {@code HttpRewrite} (name only, never the value),
 * a decided tool call an {@code McpCall} and other observed MCP requests {@code McpMessage}.
 * Byte counts and durations, which the shared model has no field for, go in the reason text.
 * Never blocks: the bus drops for slow subscribers, not here.
 */
public final class EventBusSink implements ProxyEventSink {
    private final EventBus bus;
    private final String session;
    private final String principal;

    public EventBusSink(EventBus bus, String session, String principal) {
        this.bus = bus;
        this.session = session;
        this.principal = principal;
    }

    @Override
    public void emit(ProxyEvent event) {
        switch (event) {
            case HttpExchangeEvent h -> http(h);
            case McpEvent m -> mcp(m);
            case ProxyNotice n -> { } // operational notices stay in the proxy's own log
        }
    }

    private Event.Builder base(EventKind kind, EventLayer layer, java.time.Instant t) {
        return Event.builder(kind).layer(layer).session(session).principal(principal)
                .timeNs(t.getEpochSecond() * 1_000_000_000L + t.getNano());
    }

    private static dev.tether.events.Verdict verdict(Verdict v) {
        if (v == null) return dev.tether.events.Verdict.NONE;
        if (v.shadowDenied()) return dev.tether.events.Verdict.WOULD_DENY;
        return v.allowed() ? dev.tether.events.Verdict.ALLOW : dev.tether.events.Verdict.DENY;
    }

    private void http(HttpExchangeEvent h) {
        String resource = (h.host().indexOf(':') >= 0 ? "[" + h.host() + "]" : h.host()) + ":" + h.port();
        String stats = String.format("%d B up, %d B down, %.3f ms", h.requestBytes(), h.responseBytes(), h.durationNanos() / 1e6);
        if ("CONNECT".equals(h.method()) || "TLS".equals(h.method())) {
            if (h.allowed() && !h.verdict().shadowDenied()) return; // the requests inside are recorded one by one
            InetAddress lit = literal(h.host());
            bus.publish(base(EventKind.NETWORK_CONNECT, EventLayer.PROXY, h.time()).resource(resource)
                    .decision(verdict(h.verdict()), h.policyIds(), h.reason())
                    .detail(new NetworkDetail(lit instanceof java.net.Inet6Address ? NetworkDetail.Family.INET6 : NetworkDetail.Family.INET,
                            NetworkDetail.Protocol.TCP, lit == null ? null : lit.getHostAddress(), h.port(), lit == null ? h.host() : null))
                    .build());
            return;
        }
        String url = h.scheme() + "://" + resource + h.path();
        Integer status = h.status() == 0 ? null : h.status();
        bus.publish(base(EventKind.HTTP_REQUEST, EventLayer.PROXY, h.time()).resource(resource)
                .decision(verdict(h.verdict()), h.policyIds(), h.reason() + " (" + stats + ")")
                .detail(new HttpDetail(h.method(), url, status, null)).build());
        for (HttpExchangeEvent.InjectedHeader ih : h.injected()) {
            bus.publish(base(EventKind.HTTP_REWRITE, EventLayer.PROXY, h.time()).resource(resource)
                    .decision(dev.tether.events.Verdict.ALLOW, ih.policyId() == null ? List.of() : List.of(ih.policyId()),
                            "header " + ih.header() + " set by policy")
                    .detail(new HttpDetail(h.method(), url, status, ih.header())).build());
        }
    }

    private void mcp(McpEvent m) {
        boolean call = "tools/call".equals(m.method());
        String resource = call && m.target() != null ? m.server() + "/" + m.target() : m.server();
        String transport = switch (m.transport()) {
            case "streamable-http" -> "http";
            default -> m.transport();
        };
        String direction = "denied".equals(m.outcome()) ? "request" : "response";
        String args = m.arguments() == null ? null : m.arguments().toString();
        String reason = m.reason() + " [" + m.outcome() + String.format(", %.3f ms", m.durationNanos() / 1e6)
                + (m.mcpSession() == null ? "" : ", mcp-session " + m.mcpSession()) + "]";
        bus.publish(base(call ? EventKind.MCP_CALL : EventKind.MCP_MESSAGE, EventLayer.MCP, m.time()).resource(resource)
                .decision(verdict(m.verdict()), m.policyIds(), reason)
                .detail(new McpDetail(m.server(), transport, direction, m.method(), call ? m.target() : null, m.requestId(), args))
                .build());
    }

    private static InetAddress literal(String host) {
        try {
            return dev.tether.proxy.Hosts.literalOrNull(host);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
