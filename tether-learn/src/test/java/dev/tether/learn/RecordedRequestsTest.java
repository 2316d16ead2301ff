package dev.tether.learn;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.events.Event;
import dev.tether.events.EventFlag;
import dev.tether.events.EventKind;
import dev.tether.events.EventLayer;
import dev.tether.events.McpDetail;
import dev.tether.events.NetworkDetail;
import dev.tether.events.Verdict;
import dev.tether.policy.Action;
import dev.tether.policy.ExecRequest;
import dev.tether.policy.FileRequest;
import dev.tether.policy.McpRequest;
import dev.tether.policy.NetworkRequest;
import dev.tether.policy.Principal;
import dev.tether.policy.Transport;
import java.util.List;
import org.junit.jupiter.api.Test;

class RecordedRequestsTest {
    final TestEvents t = new TestEvents("s1", "claude");
    final Principal who = new Principal("claude", "s1");

    private static dev.tether.policy.Request decidable(Event e) {
        RecordedRequest r = RecordedRequests.of(e);
        assertThat(r).isInstanceOf(RecordedRequest.Decidable.class);
        return ((RecordedRequest.Decidable) r).request();
    }

    private static String why(Event e) {
        RecordedRequest r = RecordedRequests.of(e);
        assertThat(r).isInstanceOf(RecordedRequest.NotDecidable.class);
        return ((RecordedRequest.NotDecidable) r).reason();
    }

    @Test
    void filesAndProgramsKeepTheRecordedPrincipal() {
        assertThat(decidable(t.read("/etc/hosts"))).isEqualTo(new FileRequest(who, Action.FILE_OPEN_READ_ONLY, "/etc/hosts"));
        assertThat(decidable(t.write("/tmp/x"))).isEqualTo(new FileRequest(who, Action.FILE_OPEN_READ_WRITE, "/tmp/x"));
        assertThat(decidable(t.exec("/usr/bin/git", "git", "push"))).isEqualTo(new ExecRequest(who, "/usr/bin/git", List.of("git", "push")));
    }

    @Test
    void connectionsByAddressByNameAndThroughTheProxy() throws Exception {
        assertThat(decidable(t.connect("10.0.0.53", 53, NetworkDetail.Protocol.UDP))).isEqualTo(
                new NetworkRequest(who, null, java.net.InetAddress.getByName("10.0.0.53"), 53, Transport.UDP));
        assertThat(decidable(t.connect("2606:4700::1", 443, NetworkDetail.Protocol.TCP))).isEqualTo(
                new NetworkRequest(who, null, java.net.InetAddress.getByName("2606:4700::1"), 443, Transport.TCP));
        assertThat(decidable(t.http("API.Example.com", 8443))).isEqualTo(
                new NetworkRequest(who, "api.example.com", null, 8443, Transport.TCP));
        // the proxy's refused CONNECT: a name in the detail
        Event proxied = Event.builder(EventKind.NETWORK_CONNECT).session("s1").principal("claude").layer(EventLayer.PROXY)
                .resource("evil.example:443").decision(Verdict.DENY)
                .detail(new NetworkDetail(NetworkDetail.Family.INET, NetworkDetail.Protocol.TCP, null, 443, "evil.example")).build();
        assertThat(decidable(proxied)).isEqualTo(new NetworkRequest(who, "evil.example", null, 443, Transport.TCP));
    }

    @Test
    void mcpCallsAndDecidedServerMessages() throws Exception {
        McpRequest call = (McpRequest) decidable(t.mcp("fs", "read_file", "{\"path\":\"/a\"}"));
        assertThat(call.server()).isEqualTo("fs");
        assertThat(call.tool()).isEqualTo("read_file");
        assertThat(call.arguments().path("path").asText()).isEqualTo("/a");
        Event list = Event.builder(EventKind.MCP_MESSAGE).session("s1").principal("claude").layer(EventLayer.MCP)
                .resource("fs").decision(Verdict.ALLOW, List.of("mcp-fs"), "allowed: permit mcp-fs")
                .detail(new McpDetail("fs", "stdio", "request", "tools/list", null, "2", null)).build();
        assertThat(RecordedRequests.isDecision(list)).isTrue();
        assertThat(decidable(list)).isEqualTo(new McpRequest(who, "fs", null, null));
        Event undecided = list.toBuilder().decision(Verdict.NONE).build();
        assertThat(RecordedRequests.isDecision(undecided)).isFalse();
        assertThat(RecordedRequests.isObservation(undecided)).isFalse();
    }

    @Test
    void whatCannotBeAskedAgainSaysWhy() {
        assertThat(why(t.read("/a").toBuilder().principal(null).build())).contains("no principal");
        assertThat(why(t.read("/a\\xff").toBuilder().flag(EventFlag.RESOURCE_ESCAPED).build())).contains("not UTF-8");
        assertThat(why(t.read("/a/b").toBuilder().flag(EventFlag.RESOURCE_TRUNCATED).build())).contains("cut");
        assertThat(why(t.exec("/bin/x", "x", "y").toBuilder().flag(EventFlag.ARGV_TRUNCATED).build())).contains("arguments were cut");
        assertThat(RecordedRequests.execPath(t.exec("/bin/x", "x").toBuilder().flag(EventFlag.ARGV_TRUNCATED).build()))
                .isEqualTo("/bin/x");
        Event raw = Event.builder(EventKind.NETWORK_CONNECT).session("s1").principal("claude").layer(EventLayer.CGROUP_BPF)
                .resource("socket(family 17, type 3)").decision(Verdict.DENY).build();
        assertThat(why(raw)).contains("is not host:port");
        Event unix = Event.builder(EventKind.NETWORK_CONNECT).session("s1").principal("claude").layer(EventLayer.KERNEL)
                .resource("/run/docker.sock").decision(Verdict.NONE)
                .detail(new NetworkDetail(NetworkDetail.Family.UNIX, NetworkDetail.Protocol.UNIX_STREAM, "/run/docker.sock", 0, null)).build();
        assertThat(why(unix)).contains("Unix socket");
        Event killed = Event.builder(EventKind.PROCESS_EXEC).session("s1").principal("claude").layer(EventLayer.KERNEL)
                .decision(Verdict.DENY, List.of(), "killed: ...").build();
        assertThat(why(killed)).contains("no resource");
        assertThat(why(t.mcp("fs", "x", "{\"cut").toBuilder().flag(EventFlag.DETAIL_TRUNCATED).build())).contains("cut");
    }

    @Test
    void anAllowNoStatementMadeIsTethersOwnNotThePolicys() {
        // The kernel guard hands TCP 443 to the proxy: allowed, no determining statement.
        Event handedToProxy = t.connect("93.184.216.34", 443, NetworkDetail.Protocol.TCP).toBuilder()
                .decision(Verdict.ALLOW, List.of(), "allowed: TCP 443 goes to tether's proxy, which decides by hostname").build();
        assertThat(RecordedRequests.allowedByTether(handedToProxy)).isTrue();
        assertThat(why(handedToProxy)).contains("tether's proxy");
        assertThat(RecordedRequests.allowedByTether(t.connect("10.0.0.1", 443, NetworkDetail.Protocol.TCP))).isFalse();
        // A default deny has no determining statement either, and is the policy's decision.
        Event defaultDeny = t.read("/x", Verdict.DENY);
        assertThat(RecordedRequests.allowedByTether(defaultDeny)).isFalse();
        assertThat(RecordedRequests.of(defaultDeny)).isInstanceOf(RecordedRequest.Decidable.class);
    }

    @Test
    void destinationsAsEventsWriteThem() {
        assertThat(RecordedRequests.Destination.parse("[::1]:8080").port()).isEqualTo(8080);
        assertThat(RecordedRequests.Destination.parse("[::1]:8080").address().getHostAddress()).isEqualTo("0:0:0:0:0:0:0:1");
        assertThat(RecordedRequests.Destination.parse("example.com:443").hostname()).isEqualTo("example.com");
        assertThat(RecordedRequests.Destination.parse("example.com")).isNull();
        assertThat(RecordedRequests.Destination.parse("::1:80")).isNull();
        assertThat(RecordedRequests.Destination.parse("a b:80")).isNull();
        assertThat(RecordedRequests.Destination.parse("host:99999")).isNull();
    }
}
