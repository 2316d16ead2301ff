package dev.tether.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tether.events.Verdict;
import dev.tether.policy.Mode;
import dev.tether.server.spi.SessionView;
import dev.tether.server.testing.SseReader;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LiveStreamTest {
    @TempDir Path dir;

    private SseReader open(ControlPlaneFixture f, String query) throws Exception {
        HttpResponse<InputStream> r = f.http.send(HttpRequest.newBuilder(f.uri("/api/stream" + query))
                .header("Authorization", "Bearer " + f.token()).build(), HttpResponse.BodyHandlers.ofInputStream());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith("text/event-stream");
        return new SseReader(r.body());
    }

    @Test
    void backlogThenLiveEventsPolicyAndSessionChangesAndHeartbeats() throws Exception {
        var cfg = ControlPlaneConfig.defaults().withListen("127.0.0.1", 0).withStream(3, 1024, Duration.ofMillis(200));
        try (ControlPlaneFixture f = new ControlPlaneFixture(dir, cfg)) {
            for (int i = 1; i <= 5; i++) {
                f.events.publish(ControlPlaneFixture.event("s1", "claude", "FileOpenReadOnly", "/workspace/" + i,
                        Verdict.ALLOW));
            }
            try (SseReader sse = open(f, "")) {
                JsonNode hello = f.json.readTree(sse.until("hello").data());
                assertThat(hello.get("backlog").asInt()).isEqualTo(3);
                assertThat(hello.get("policyGeneration").asLong()).isEqualTo(f.policy.current().generation());
                JsonNode backlog = f.json.readTree(sse.until("backlog").data());
                assertThat(backlog.findValuesAsText("resource")).containsExactly("/workspace/5", "/workspace/4",
                        "/workspace/3");

                f.events.publish(ControlPlaneFixture.event("s1", "claude", "NetworkConnect", "evil.example:443",
                        Verdict.DENY));
                JsonNode live = f.json.readTree(sse.until("events").data());
                assertThat(live.get(0).get("seq").asLong()).isEqualTo(6);
                assertThat(live.get(0).get("verdict").asText()).isEqualTo("deny");

                f.ok("PUT", "/api/policies", f.jsonString(Map.of("cedar", "permit (principal, action, resource);")));
                JsonNode policy = f.json.readTree(sse.until("policy").data());
                assertThat(policy.get("generation").asLong()).isEqualTo(f.policy.current().generation());

                f.sessions.register(new SessionView("s9", "codex", "Agent::\"codex\"", List.of("codex"), "podman",
                        SessionView.State.RUNNING, Mode.SHADOW, Instant.now(), null), () -> {});
                JsonNode session = f.json.readTree(sse.until("session").data());
                assertThat(session.get("id").asText()).isEqualTo("s9");
                assertThat(session.get("mode").asText()).isEqualTo("shadow");

                JsonNode hb = f.json.readTree(sse.until("heartbeat").data());
                assertThat(hb.get("lastSeq").asLong()).isEqualTo(6);
            }
        }
    }

    /**
     * A page that reads slower than events arrive is not dropped: events beyond its queue are
     * skipped and counted, it is told how many, and it stays connected and live. Every event
     * published is either delivered or in a skipped count.
     */
    @Test
    void aSlowClientSkipsEventsItIsToldHowManyAndStaysLive() throws Exception {
        int queue = 1000;
        var cfg = ControlPlaneConfig.defaults().withListen("127.0.0.1", 0).withStream(0, queue, Duration.ofSeconds(30));
        try (ControlPlaneFixture f = new ControlPlaneFixture(dir, cfg)) {
            SseReader slow = open(f, "?backlog=0");
            slow.until("backlog");
            waitFor(() -> f.plane.streamHub().connectedClients() == 1, "client connected");
            // 5,000 events of ~2 KB while the client reads nothing: more than its queue and the
            // socket buffers hold, fewer than the stall limit (queue + 4 queues skipped).
            String padding = "x".repeat(2000);
            int published = 5000;
            for (int i = 0; i < published; i++) {
                f.events.publish(ControlPlaneFixture.event("s1", "claude", "FileOpenReadOnly",
                        "/workspace/" + padding + "/" + i, Verdict.ALLOW));
            }
            long delivered = 0;
            long skipped = 0;
            long lastSeq = 0;
            while (delivered + skipped < published) {
                SseReader.Frame fr = slow.next();
                assertThat(fr).as("stream ended after %d delivered, %d skipped", delivered, skipped).isNotNull();
                if ("events".equals(fr.event())) {
                    for (JsonNode e : f.json.readTree(fr.data())) {
                        assertThat(e.get("seq").asLong()).isGreaterThan(lastSeq);
                        lastSeq = e.get("seq").asLong();
                        delivered++;
                    }
                } else if ("skipped".equals(fr.event())) {
                    skipped += f.json.readTree(fr.data()).get("count").asLong();
                }
                assertThat(fr.event()).isNotEqualTo("dropped");
            }
            assertThat(delivered + skipped).isEqualTo(published);
            assertThat(skipped).as("the client fell behind (else this test shows nothing)").isPositive();
            assertThat(f.plane.streamHub().skippedEvents()).isEqualTo(skipped);
            // Still connected and live: the next events arrive.
            f.events.publish(ControlPlaneFixture.event("s1", "claude", "NetworkConnect", "after.example:443", Verdict.DENY));
            JsonNode after = f.json.readTree(slow.until("events").data());
            assertThat(after.get(0).get("resource").asText()).isEqualTo("after.example:443");
            assertThat(f.plane.streamHub().droppedClients()).isZero();
            assertThat(f.plane.streamHub().connectedClients()).isEqualTo(1);
            slow.close();
        }
    }

    /**
     * A browser that stops reading must not hold the daemon back: the publisher keeps publishing
     * (this loop completing is the proof), the stalled client is dropped once it has taken nothing
     * for three heartbeats with its queue full, and
     * a client that keeps up receives every event, in order.
     */
    @Test
    void aStalledClientIsDroppedAndNeverBlocksThePublisherOrOtherClients() throws Exception {
        int queue = 1000;
        var cfg = ControlPlaneConfig.defaults().withListen("127.0.0.1", 0).withStream(0, queue, Duration.ofMillis(300));
        try (ControlPlaneFixture f = new ControlPlaneFixture(dir, cfg)) {
            // The stalled client: sends the request, then never reads a byte.
            try (Socket stalled = new Socket("127.0.0.1", f.plane.port())) {
                stalled.setReceiveBufferSize(4096);
                OutputStream out = stalled.getOutputStream();
                out.write(("GET /api/stream?backlog=0 HTTP/1.1\r\nHost: 127.0.0.1:" + f.plane.port()
                        + "\r\nAuthorization: Bearer " + f.token() + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                out.flush();

                SseReader fast = open(f, "?backlog=0");
                fast.until("backlog");
                waitFor(() -> f.plane.streamHub().connectedClients() == 2, "both clients connected");

                // Lock-step: publish a batch (never more than half the queue), then read until the
                // reading client has all of it; the stalled client meanwhile overflows.
                String padding = "x".repeat(1000);
                int batches = 40;
                int perBatch = queue / 2;
                long received = 0;
                for (int b = 0; b < batches; b++) {
                    for (int i = 0; i < perBatch; i++) {
                        f.events.publish(ControlPlaneFixture.event("s1", "claude", "FileOpenReadOnly",
                                "/workspace/" + padding + "/" + b + "/" + i, Verdict.ALLOW));
                    }
                    while (received < (long) (b + 1) * perBatch) {
                        for (JsonNode e : f.json.readTree(fast.until("events").data())) {
                            assertThat(e.get("seq").asLong()).isEqualTo(received + 1);
                            received++;
                        }
                    }
                }
                assertThat(received).isEqualTo((long) batches * perBatch);
                // Events keep coming past the stalled client's full queue until its stall time
                // (three 300-ms heartbeats) is over.
                long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                while (f.plane.streamHub().droppedClients() == 0 && System.nanoTime() < deadline) {
                    f.events.publish(ControlPlaneFixture.event("s1", "claude", "FileOpenReadOnly", "/workspace/more",
                            Verdict.ALLOW));
                    Thread.sleep(20);
                }
                assertThat(f.plane.streamHub().droppedClients()).isEqualTo(1);
                assertThat(f.plane.streamHub().connectedClients()).isEqualTo(1);
                fast.close();
            }
        }
    }

    private static void waitFor(java.util.function.BooleanSupplier cond, String what) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for: " + what);
            }
            Thread.sleep(2);
        }
    }
}
