package dev.tether.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tether.events.Verdict;
import dev.tether.policy.Mode;
import dev.tether.server.spi.ActivityEvent;
import dev.tether.server.spi.ProcessInfo;
import dev.tether.server.standalone.CedarPolicyControl;
import dev.tether.server.standalone.InMemoryEventLog;
import dev.tether.server.standalone.InMemorySessionDirectory;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * A real control plane on a free loopback port over the self-contained implementations (cedar-java
 * policy, in-memory event log and session directory), plus an HTTP client that speaks to it.
 */
final class ControlPlaneFixture implements AutoCloseable {
    static final String BASE_POLICY = """
            // tether test policy
            permit (principal, action == Action::"FileOpenReadOnly", resource)
            when { resource in Dir::"/workspace/" };

            forbid (principal, action == Action::"FileOpenReadOnly", resource == File::"/workspace/.env");

            permit (principal, action == Action::"NetworkConnect", resource == Host::"api.example.com:443");
            """;

    final Path policyFile;
    final CedarPolicyControl policy;
    final InMemoryEventLog events = new InMemoryEventLog(100_000);
    final InMemorySessionDirectory sessions = new InMemorySessionDirectory(Mode.ENFORCE);
    final ControlPlane plane;
    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    final ObjectMapper json = ControlPlane.wireMapper();

    ControlPlaneFixture(Path dir) throws IOException {
        this(dir, ControlPlaneConfig.defaults().withListen("127.0.0.1", 0));
    }

    ControlPlaneFixture(Path dir, ControlPlaneConfig config) throws IOException {
        this(dir, config, BASE_POLICY, null);
    }

    /** With {@code policyText} in force and {@code learning} (recorded activity) behind suggestions and replay. */
    ControlPlaneFixture(Path dir, ControlPlaneConfig config, String policyText, dev.tether.learn.PolicyLearning learning)
            throws IOException {
        policyFile = dir.resolve("policy.cedar");
        Files.writeString(policyFile, policyText);
        policy = CedarPolicyControl.fromFile(policyFile);
        plane = ControlPlane.start(config, policy, events, sessions, learning);
    }

    String token() {
        return plane.config().token().reveal();
    }

    URI uri(String path) {
        return plane.baseUri().resolve(path.startsWith("/") ? path.substring(1) : path);
    }

    HttpResponse<String> send(String method, String path, String body) throws IOException, InterruptedException {
        return send(method, path, body, Map.of("Authorization", "Bearer " + token()));
    }

    HttpResponse<String> send(String method, String path, String body, Map<String, String> headers)
            throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(30));
        headers.forEach(b::header);
        if (body != null) {
            b.header("Content-Type", "application/json");
        }
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    JsonNode ok(String method, String path, String body) throws IOException, InterruptedException {
        HttpResponse<String> r = send(method, path, body);
        if (r.statusCode() / 100 != 2) {
            throw new AssertionError(method + " " + path + " -> " + r.statusCode() + ": " + r.body());
        }
        return json.readTree(r.body());
    }

    String jsonString(Object o) {
        try {
            return json.writeValueAsString(o);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static ActivityEvent event(String session, String agent, String action, String resource, Verdict verdict) {
        return new ActivityEvent(0, System.currentTimeMillis() * 1_000_000L, session, agent, 4242, 4000, "cat",
                "/usr/bin/cat", action, resource, verdict,
                verdict == Verdict.ALLOW ? List.of("policy0") : List.of("policy1"),
                verdict == Verdict.ALLOW ? "allowed: permitted by policy0" : "denied: forbidden by policy1",
                List.of(new ProcessInfo(4242, "cat", "/usr/bin/cat"), new ProcessInfo(4000, "bash", "/usr/bin/bash"),
                        new ProcessInfo(1, "claude", "/usr/local/bin/claude")),
                Map.of());
    }

    @Override
    public void close() {
        plane.close();
    }
}
