package dev.tether.learn;

import dev.tether.events.Event;
import dev.tether.events.EventKind;
import dev.tether.events.EventLayer;
import dev.tether.events.ExecDetail;
import dev.tether.events.FileDetail;
import dev.tether.events.McpDetail;
import dev.tether.events.NetworkDetail;
import dev.tether.events.Verdict;
import java.util.List;

/** Builds events the way the enforcing layers record them (docs/events.md). */
public final class TestEvents {
    /** 2026-11-27T05:29:51Z, a fixed clock so texts are comparable. */
    public static final long T0 = 1_795_757_391_000_000_000L;

    private final String session;
    private final String agent;
    private long clock = T0;

    public TestEvents(String session, String agent) {
        this.session = session;
        this.agent = agent;
    }

    public TestEvents at(long timeNs) {
        clock = timeNs;
        return this;
    }

    private long tick() {
        return clock += 1_000_000;
    }

    private Event.Builder base(EventKind kind, EventLayer layer, Verdict v) {
        List<String> policies = v == Verdict.ALLOW ? List.of("policy0") : List.of();
        String reason = v == Verdict.ALLOW ? "allowed: permit policy0 at policy.cedar:1:1" : "denied: no permit matched";
        return Event.builder(kind).timeNs(tick()).session(session).principal(agent).layer(layer)
                .decision(v, policies, reason).process(4242, 4000, 4242).comm("tool");
    }

    public Event read(String path) {
        return read(path, Verdict.ALLOW);
    }

    public Event read(String path, Verdict v) {
        return base(EventKind.FILE_OPEN_READ_ONLY, EventLayer.FANOTIFY, v).resource(path)
                .detail(FileDetail.open(524288, null)).build();
    }

    public Event write(String path) {
        return write(path, Verdict.ALLOW);
    }

    public Event write(String path, Verdict v) {
        return base(EventKind.FILE_OPEN_READ_WRITE, EventLayer.FANOTIFY, v).resource(path)
                .detail(FileDetail.open(577, 420)).build();
    }

    public Event exec(String path, String... argv) {
        return exec(Verdict.ALLOW, path, argv);
    }

    public Event exec(Verdict v, String path, String... argv) {
        return base(EventKind.PROCESS_EXEC, EventLayer.FANOTIFY, v).resource(path)
                .detail(new ExecDetail(List.of(argv))).build();
    }

    /** A kernel (cgroup-BPF) connect: address and port, no name. */
    public Event connect(String ip, int port, NetworkDetail.Protocol proto) {
        return connect(ip, port, proto, Verdict.ALLOW);
    }

    public Event connect(String ip, int port, NetworkDetail.Protocol proto, Verdict v) {
        String resource = ip.contains(":") ? "[" + ip + "]:" + port : ip + ":" + port;
        return base(EventKind.NETWORK_CONNECT, EventLayer.CGROUP_BPF, v).resource(resource)
                .detail(new NetworkDetail(ip.contains(":") ? NetworkDetail.Family.INET6 : NetworkDetail.Family.INET, proto,
                        ip, port, null)).build();
    }

    /** A proxy request to a host name. */
    public Event http(String host, int port) {
        return http(host, port, Verdict.ALLOW);
    }

    public Event http(String host, int port, Verdict v) {
        return base(EventKind.HTTP_REQUEST, EventLayer.PROXY, v).resource(host + ":" + port)
                .detail(new dev.tether.events.HttpDetail("GET", "https://" + host + "/", 200, null)).build();
    }

    public Event mcp(String server, String tool, String argumentsJson) {
        return mcp(server, tool, argumentsJson, Verdict.ALLOW);
    }

    public Event mcp(String server, String tool, String argumentsJson, Verdict v) {
        return base(EventKind.MCP_CALL, EventLayer.MCP, v).resource(server + "/" + tool)
                .detail(new McpDetail(server, "stdio", "request", "tools/call", tool, "1", argumentsJson)).build();
    }

    /** A decision made by a forbid statement named {@code id}. */
    public Event forbidden(Event e, String id, Verdict v) {
        return e.toBuilder().decision(v, List.of(id), "denied: forbid " + id + " at policy.cedar:9:1").build();
    }
}
