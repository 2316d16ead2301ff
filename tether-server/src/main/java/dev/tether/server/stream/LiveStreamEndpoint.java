package dev.tether.server.stream;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tether.server.spi.ActivityEvent;
import dev.tether.server.spi.EventQuery;
import dev.tether.server.spi.EventSource;
import dev.tether.server.spi.PolicyControl;
import dev.tether.server.spi.SessionDirectory;
import io.javalin.http.Context;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code GET /api/stream}: Server-Sent Events. The client first gets {@code hello} and one {@code
 * backlog} frame (the newest events, newest first), then {@code events} frames (batches, oldest
 * first), {@code policy} and {@code session} change messages, and a {@code heartbeat} whenever
 * nothing else was sent for one interval. A client more than {@code clientQueueCapacity} messages
 * behind skips events and gets a {@code skipped} frame with how many (they are in the audit store);
 * one that stops reading altogether gets {@code dropped} and the stream ends ({@link LiveStreamHub}). The browser reads it with fetch() so the token travels
 * in the Authorization header, never in a URL.
 *
 * <p>Runs on its own virtual thread per client; blocking writes only ever block that thread.
 */
public final class LiveStreamEndpoint {
    private static final int MAX_BATCH = 1000;

    private final LiveStreamHub hub;
    private final EventSource events;
    private final PolicyControl policy;
    private final SessionDirectory sessions;
    private final ObjectMapper mapper;
    private final int maxBacklog;
    private final Duration heartbeat;

    public LiveStreamEndpoint(LiveStreamHub hub, EventSource events, PolicyControl policy, SessionDirectory sessions,
            ObjectMapper mapper, int maxBacklog, Duration heartbeat) {
        this.hub = hub;
        this.events = events;
        this.policy = policy;
        this.sessions = sessions;
        this.mapper = mapper;
        this.maxBacklog = maxBacklog;
        this.heartbeat = heartbeat;
    }

    public void handle(Context ctx) throws Exception {
        int backlog = maxBacklog;
        String requested = ctx.queryParam("backlog");
        if (requested != null) {
            try {
                backlog = Math.max(0, Math.min(maxBacklog, Integer.parseInt(requested)));
            } catch (NumberFormatException e) {
                backlog = maxBacklog;
            }
        }
        ctx.status(200);
        ctx.res().setContentType("text/event-stream; charset=utf-8");
        ctx.res().setHeader("Cache-Control", "no-store");
        ctx.res().setHeader("X-Accel-Buffering", "no");
        // Connect before reading the backlog so nothing published in between is lost; duplicates
        // are filtered by seq below.
        try (LiveStreamHub.Client client = hub.connect()) {
            OutputStream out = ctx.res().getOutputStream();
            // The backlog ends where live delivery stands (a feed following the store may lag
            // behind it in a flood): newer stored events arrive live, none is hidden as a duplicate.
            List<ActivityEvent> bl = List.of();
            if (backlog > 0) {
                java.util.OptionalLong delivered = events.deliveredThrough();
                bl = events.query(delivered.isPresent()
                        ? new EventQuery(null, null, null, null, delivered.getAsLong() + 1, null, backlog)
                        : EventQuery.latest(backlog)).events();
            }
            long backlogTop = bl.isEmpty() ? 0 : bl.getFirst().seq();
            ObjectNode hello = mapper.createObjectNode();
            hello.put("clientId", client.id());
            hello.put("policyGeneration", policy.current().generation());
            hello.put("mode", sessions.defaultMode().configName());
            hello.put("time", Instant.now().toString());
            hello.put("backlog", bl.size());
            hello.put("heartbeatMillis", heartbeat.toMillis());
            send(out, "hello", mapper.writeValueAsBytes(hello));
            send(out, "backlog", mapper.writeValueAsBytes(bl));
            out.flush();
            long lastSeq = backlogTop;
            List<StreamMessage> batch = new ArrayList<>(MAX_BATCH);
            List<ActivityEvent> evs = new ArrayList<>(MAX_BATCH);
            while (!client.dropped()) {
                StreamMessage first = client.poll(heartbeat.toMillis(), TimeUnit.MILLISECONDS);
                if (first == null) {
                    if (client.dropped()) {
                        break;
                    }
                    ObjectNode hb = mapper.createObjectNode();
                    hb.put("time", Instant.now().toString());
                    hb.put("lastSeq", lastSeq);
                    send(out, "heartbeat", mapper.writeValueAsBytes(hb));
                    out.flush();
                    continue;
                }
                batch.clear();
                batch.add(first);
                client.drainTo(batch, MAX_BATCH - 1);
                evs.clear();
                for (StreamMessage m : batch) {
                    switch (m) {
                        case StreamMessage.EventMessage em -> {
                            if (em.event().seq() > backlogTop) {
                                evs.add(em.event());
                                lastSeq = Math.max(lastSeq, em.event().seq());
                            }
                        }
                        case StreamMessage.PolicyChanged pc -> {
                            flushEvents(out, evs);
                            ObjectNode p = mapper.createObjectNode();
                            p.put("generation", pc.policy().generation());
                            p.put("source", pc.policy().source());
                            p.put("loadedAt", pc.policy().loadedAt().toString());
                            send(out, "policy", mapper.writeValueAsBytes(p));
                        }
                        case StreamMessage.SessionChanged sc -> {
                            flushEvents(out, evs);
                            send(out, "session", mapper.writeValueAsBytes(sc.session()));
                        }
                    }
                }
                flushEvents(out, evs);
                long skipped = client.takeSkipped();
                if (skipped > 0) {
                    ObjectNode sk = mapper.createObjectNode();
                    sk.put("count", skipped);
                    sk.put("lastSeq", lastSeq);
                    send(out, "skipped", mapper.writeValueAsBytes(sk));
                }
                out.flush();
            }
            send(out, "dropped", ("{\"reason\":\"this client stopped reading;"
                    + " reconnect to resynchronise\"}").getBytes(StandardCharsets.UTF_8));
            out.flush();
        } catch (IOException clientGone) {
            // The browser closed the tab or the connection broke: nothing to clean up beyond the client.
        }
    }

    private void flushEvents(OutputStream out, List<ActivityEvent> evs) throws IOException {
        if (!evs.isEmpty()) {
            send(out, "events", mapper.writeValueAsBytes(evs));
            evs.clear();
        }
    }

    /** One SSE frame. JSON never contains a raw newline, so a single data: line is enough. */
    private static void send(OutputStream out, String event, byte[] json) throws IOException {
        out.write(("event: " + event + "\ndata: ").getBytes(StandardCharsets.UTF_8));
        out.write(json);
        out.write("\n\n".getBytes(StandardCharsets.UTF_8));
    }
}
