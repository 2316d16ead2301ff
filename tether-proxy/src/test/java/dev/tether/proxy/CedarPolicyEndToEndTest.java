package dev.tether.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tether.events.Event;
import dev.tether.events.EventBus;
import dev.tether.events.EventKind;
import dev.tether.events.HttpDetail;
import dev.tether.events.McpDetail;
import dev.tether.policy.LoadResult;
import dev.tether.policy.Mode;
import dev.tether.policy.PolicyHolder;
import dev.tether.policy.PolicyLoader;
import dev.tether.policy.Principal;
import dev.tether.proxy.ca.CertificateAuthority;
import dev.tether.proxy.decide.SnapshotDecisions;
import dev.tether.proxy.event.EventBusSink;
import dev.tether.proxy.event.ProxyEventSink;
import dev.tether.proxy.mcp.JsonRpc;
import dev.tether.proxy.secret.SecretRedactor;
import dev.tether.proxy.secret.SecretResolver;
import dev.tether.proxy.testing.Cmd;
import dev.tether.proxy.testing.McpHttpClient;
import dev.tether.proxy.testing.McpServers;
import dev.tether.proxy.testing.Origin;
import dev.tether.proxy.testing.RecordingSink;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The proxy wired as the daemon will wire it: decisions from a real Cedar policy (tether-policy)
 * through {@link SnapshotDecisions} on the live {@link PolicyHolder}, events on a real
 * {@link EventBus}. Hosts, wildcards, header injection, MCP allowlist/forbid/argument conditions,
 * hot reload and shadow mode.
 */
class CedarPolicyEndToEndTest {
    static final String POLICY = """
            @id("net-hosts")
            permit (principal, action == Action::"NetworkConnect", resource)
            when { resource in [ Host::"allowed.test", Host::"*.wild.test", Host::"secret.test", Host::"mcp.test", Host::"rebind.test" ] };

            @id("net-no-denied")
            forbid (principal, action == Action::"NetworkConnect", resource == Host::"denied.test");

            @id("net-no-internal")
            forbid (principal, action == Action::"NetworkConnect", resource)
            when { resource in Net::"127.0.0.2/32" };

            @id("api-key")
            permit (principal, action == Action::"HttpRewrite", resource == Host::"secret.test")
            when { context.header == "X-Api-Key" && context.value == "secret:TEST_API_KEY" };

            @id("mcp-echo")
            permit (principal, action == Action::"McpCall", resource == MCP::Tool::"echo");

            @id("mcp-small-sums")
            permit (principal, action == Action::"McpCall", resource == MCP::Tool::"get-sum")
            when { context.arguments has a && context.arguments.a < 100 };

            @id("mcp-env-any")
            permit (principal, action == Action::"McpCall", resource == MCP::Tool::"get-env");

            @id("mcp-no-env")
            forbid (principal, action == Action::"McpCall", resource == MCP::Tool::"get-env");
            """;

    static Path dir;
    static PolicyHolder holder;
    static final AtomicReference<Mode> mode = new AtomicReference<>(Mode.ENFORCE);
    static EventBus bus;
    static final List<Event> busEvents = new CopyOnWriteArrayList<>();
    static final RecordingSink proxyEvents = new RecordingSink();
    static TetherProxy proxy;
    static CertificateAuthority tetherCa;
    static Origin origin;
    static McpServers.Running mcp;

    @BeforeAll
    static void start() throws Exception {
        dir = Files.createTempDirectory("tether-proxy-cedar");
        Path policyFile = Files.writeString(dir.resolve("policy.cedar"), POLICY);
        LoadResult r = PolicyLoader.load(policyFile);
        assertThat(r).as(r.toString()).isInstanceOf(LoadResult.Loaded.class);
        holder = PolicyHolder.open(policyFile, null);
        bus = new EventBus();
        bus.subscribe("test", 10_000, busEvents::add);
        tetherCa = CertificateAuthority.openOrCreate(dir.resolve("tether-ca"));
        CertificateAuthority publicCa = CertificateAuthority.openOrCreate(dir.resolve("public-ca"));
        origin = Origin.https(publicCa, "allowed.test", "a.wild.test", "wild.test", "secret.test", "denied.test");
        mcp = McpServers.startEverything("streamableHttp");
        // exactly what the daemon does for a session (see docs/proxy.md)
        SnapshotDecisions decisions = new SnapshotDecisions(holder::current, new Principal("claude", "s-e2e"), mode::get);
        ProxyEventSink sink = e -> {
            new EventBusSink(bus, "s-e2e", "claude").emit(e);
            proxyEvents.emit(e);
        };
        // rebind.test is allowed by name but resolves into a forbidden network
        UpstreamResolver resolver = (host, port) -> new InetSocketAddress(host.equals("rebind.test") ? "127.0.0.2" : "127.0.0.1", port);
        ProxyConfig cfg = ProxyConfig.explicitOnLoopback(0).withResolver(resolver)
                .withUpstreamTrust(List.of(publicCa.certificate())).withIoThreads(2);
        proxy = TetherProxy.start(cfg, tetherCa, decisions, sink,
                new SecretResolver(Map.of(), Map.of("TEST_API_KEY", ProxyFixture.SECRET_VALUE), new SecretRedactor()));
    }

    @AfterAll
    static void stop() throws Exception {
        if (proxy != null) proxy.close();
        if (origin != null) origin.close();
        if (mcp != null) mcp.close();
        if (bus != null) bus.close();
        if (holder != null) holder.close();
    }

    static Cmd.Result curl(String... args) throws Exception {
        List<String> argv = new ArrayList<>(List.of("curl", "-sS", "--max-time", "20", "--proxy",
                "http://127.0.0.1:" + proxy.explicitAddress().getPort(), "--cacert", tetherCa.certificatePath().toString()));
        argv.addAll(List.of(args));
        return Cmd.run(argv, Map.of(), 30);
    }

    static String https(String host, String path) {
        return "https://" + host + ":" + origin.port() + path;
    }

    static Event busEvent(java.util.function.Predicate<Event> p) throws InterruptedException {
        for (int i = 0; i < 2000; i++) {
            for (Event e : busEvents) if (p.test(e)) return e;
            Thread.sleep(10);
        }
        throw new AssertionError("no such event on the bus: " + busEvents);
    }

    @Test
    void hostsAndWildcardsAreDecidedByCedar() throws Exception {
        Cmd.Result ok = curl("-w", "\n%{http_code}", https("allowed.test", "/cedar"));
        assertThat(ok.out()).contains("hello from allowed.test").endsWith("200");
        assertThat(curl("-o", "/dev/null", "-w", "%{http_code}", https("a.wild.test", "/")).out()).isEqualTo("200");
        assertThat(curl(https("wild.test", "/")).err()).contains("403");
        assertThat(curl(https("denied.test", "/")).err()).contains("403");
        Event e = busEvent(x -> x.kind() == EventKind.HTTP_REQUEST && x.detail() instanceof HttpDetail d && d.url().endsWith("/cedar"));
        assertThat(e.principal()).isEqualTo("claude");
        assertThat(e.session()).isEqualTo("s-e2e");
        assertThat(e.policies()).containsExactly("net-hosts");
        assertThat(((HttpDetail) e.detail()).status()).isEqualTo(200);
        Event denied = busEvent(x -> x.kind() == EventKind.NETWORK_CONNECT && "denied.test:" .concat(String.valueOf(origin.port())).equals(x.resource()));
        assertThat(denied.decision()).isEqualTo(dev.tether.events.Verdict.DENY);
        assertThat(denied.policies()).containsExactly("net-no-denied");
        assertThat(denied.reason()).contains("policy.cedar:");
    }

    @Test
    void anAllowedNameResolvingIntoAForbiddenNetworkIsRefused() throws Exception {
        Cmd.Result https = curl("-w", "\n%{http_code}", https("rebind.test", "/x"));
        assertThat(https.out()).contains("net-no-internal").contains("resolved to 127.0.0.2").endsWith("403");
        Cmd.Result http = curl("-w", "\n%{http_code}", "http://rebind.test:" + origin.port() + "/x");
        assertThat(http.out()).contains("net-no-internal").endsWith("403");
    }

    @Test
    void httpRewriteInjectsTheHostSecret() throws Exception {
        Cmd.Result r = curl("-v", https("secret.test", "/cedar-key"));
        assertThat(r.out()).contains("api-key-received=true");
        assertThat(origin.lastHeaders.get("/cedar-key").get("X-api-key")).containsExactly(ProxyFixture.SECRET_VALUE);
        assertThat(r.out() + r.err()).doesNotContain(ProxyFixture.SECRET_VALUE);
        Event rw = busEvent(x -> x.kind() == EventKind.HTTP_REWRITE);
        assertThat(((HttpDetail) rw.detail()).header()).isEqualTo("X-Api-Key");
        assertThat(rw.policies()).containsExactly("api-key");
        assertThat(busEvents.toString()).doesNotContain(ProxyFixture.SECRET_VALUE);
    }

    @Test
    void mcpAllowlistForbidAndArgumentConditionsComeFromCedar() throws Exception {
        McpHttpClient c = new McpHttpClient(proxy.explicitAddress(), URI.create("http://mcp.test:" + mcp.port() + "/mcp"));
        c.initialize();
        List<String> names = new ArrayList<>();
        c.post("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}").messages().getFirst().path("result").path("tools")
                .forEach(t -> names.add(t.path("name").asText()));
        assertThat(names).contains("echo", "get-sum", "get-tiny-image").doesNotContain("get-env");
        assertThat(c.post(McpHttpClient.call(2, "echo", "{\"message\":\"cedar\"}")).messages().getFirst().toString()).contains("cedar");
        JsonNode env = c.post(McpHttpClient.call(3, "get-env", "{}")).messages().getFirst();
        assertThat(env.path("error").path("code").asInt()).isEqualTo(JsonRpc.DENIED_BY_POLICY);
        assertThat(env.path("error").path("message").asText()).contains("mcp-no-env");
        JsonNode unlisted = c.post(McpHttpClient.call(4, "get-tiny-image", "{}")).messages().getFirst();
        assertThat(unlisted.path("error").path("code").asInt()).isEqualTo(JsonRpc.DENIED_BY_POLICY);
        assertThat(c.post(McpHttpClient.call(5, "get-sum", "{\"a\":1,\"b\":2}")).messages().getFirst().has("result")).isTrue();
        assertThat(c.post(McpHttpClient.call(6, "get-sum", "{\"a\":500,\"b\":2}")).messages().getFirst().path("error").path("code").asInt())
                .isEqualTo(JsonRpc.DENIED_BY_POLICY);
        McpHttpClient.Reply batch = c.post("[" + McpHttpClient.call(7, "echo", "{\"message\":\"b\"}") + ","
                + McpHttpClient.call(8, "get-env", "{}") + "]");
        assertThat(batch.messages()).hasSize(2);
        Event call = busEvent(x -> x.kind() == EventKind.MCP_CALL && x.detail() instanceof McpDetail d && "3".equals(d.id()));
        assertThat(call.decision()).isEqualTo(dev.tether.events.Verdict.DENY);
        assertThat(call.resource()).isEqualTo("mcp.test/get-env");
        assertThat(((McpDetail) call.detail()).transport()).isEqualTo("http");
        assertThat(call.reason()).contains("mcp-session ");
    }

    @Test
    void aPolicyReloadAppliesToTheNextRequestAndShadowModeLetsThrough() throws Exception {
        assertThat(curl("-o", "/dev/null", "-w", "%{http_code}", "http://allowed.test:" + origin.port() + "/").err()).isEmpty();
        String withoutAllowed = POLICY.replace("Host::\"allowed.test\", ", "");
        var reload = holder.replace(withoutAllowed);
        try {
            assertThat(reload).isInstanceOf(PolicyHolder.Applied.class);
            assertThat(curl(https("allowed.test", "/after-reload")).err()).contains("403");
            mode.set(Mode.SHADOW);
            Cmd.Result shadow = curl("-w", "\n%{http_code}", https("allowed.test", "/shadow"));
            assertThat(shadow.out()).endsWith("200");
            Event e = busEvent(x -> x.kind() == EventKind.HTTP_REQUEST && x.detail() instanceof HttpDetail d && d.url().endsWith("/shadow"));
            assertThat(e.decision()).isEqualTo(dev.tether.events.Verdict.WOULD_DENY);
        } finally {
            mode.set(Mode.ENFORCE);
            holder.replace(POLICY);
        }
        assertThat(curl("-o", "/dev/null", "-w", "%{http_code}", https("allowed.test", "/back")).out()).isEqualTo("200");
    }
}
