package dev.tether.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tether.server.testing.SseReader;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A session's control plane as a client sees it: authenticated requests, each timed, and the live
 * stream followed on a thread of its own (reconnecting as the UI does when it is dropped).
 */
final class ControlPlaneProbe implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * One answered request: status, parsed body (null if not JSON), how long it took and how much
     * of that this JVM spent in its own garbage collector's pauses (time the server is not to
     * blame for: this JVM, with the test's browser driver, paused up to 1.2 s during a flood).
     */
    record Answer(String what, int status, JsonNode body, String raw, long millis, long pausedMillis) {
        /** The time the request took, less this JVM's pauses while it waited. */
        long millisLessOwnPauses() {
            return millis - pausedMillis;
        }
    }

    /**
     * This JVM's stop-the-world pauses so far: every collector bean's accumulated time (for G1:
     * young and mixed, full, and its "Concurrent GC" bean, which counts only the Remark and
     * Cleanup pauses).
     */
    private static long gcPauseMillis() {
        long total = 0;
        for (var gc : java.lang.management.ManagementFactory.getGarbageCollectorMXBeans()) {
            total += Math.max(0, gc.getCollectionTime());
        }
        return total;
    }

    private final URI base;
    private final String token;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(30)).build();
    private final List<StreamFollower> followers = new ArrayList<>();

    /** {@code openUri}: the {@code http://127.0.0.1:PORT/?token=...} tether prints. */
    ControlPlaneProbe(URI openUri) {
        this.base = URI.create(openUri.getScheme() + "://" + openUri.getAuthority() + "/");
        this.token = openUri.getQuery().substring("token=".length());
    }

    Answer get(String path) throws IOException, InterruptedException {
        return send(path, HttpRequest.newBuilder(base.resolve(path)).GET());
    }

    Answer post(String path, String json) throws IOException, InterruptedException {
        return send(path, HttpRequest.newBuilder(base.resolve(path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)));
    }

    private Answer send(String what, HttpRequest.Builder b) throws IOException, InterruptedException {
        // The request timeout is a hang catch, far above the test's bound for "responsive".
        HttpRequest r = b.header("Authorization", "Bearer " + token).timeout(Duration.ofSeconds(60)).build();
        long paused = gcPauseMillis();
        long start = System.nanoTime();
        HttpResponse<String> res = http.send(r, HttpResponse.BodyHandlers.ofString());
        long millis = (System.nanoTime() - start) / 1_000_000;
        paused = gcPauseMillis() - paused;
        JsonNode body;
        try {
            body = JSON.readTree(res.body());
        } catch (IOException e) {
            body = null;
        }
        return new Answer(what, res.statusCode(), body, res.body(), millis, paused);
    }

    /**
     * Connects to the live stream as the UI does on load (default backlog) and returns how long
     * the {@code hello} and {@code backlog} frames took, the backlog's size as its body.
     */
    Answer streamStart() throws IOException, InterruptedException {
        long paused = gcPauseMillis();
        long start = System.nanoTime();
        HttpResponse<InputStream> res = http.send(HttpRequest.newBuilder(base.resolve("api/stream"))
                .header("Authorization", "Bearer " + token).timeout(Duration.ofSeconds(60)).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        try (SseReader sse = new SseReader(res.body())) {
            sse.until("hello");
            SseReader.Frame backlog = sse.until("backlog");
            JsonNode size = JSON.getNodeFactory().numberNode(JSON.readTree(backlog.data()).size());
            return new Answer("api/stream", res.statusCode(), size, "", (System.nanoTime() - start) / 1_000_000,
                    gcPauseMillis() - paused);
        }
    }

    /** Starts following {@code /api/stream?backlog=0}. */
    StreamFollower follow() {
        StreamFollower f = new StreamFollower();
        followers.add(f);
        f.thread.start();
        return f;
    }

    /** The live stream, counted: events received, when each events frame came, reconnections. */
    final class StreamFollower implements AutoCloseable {
        private final Thread thread = Thread.ofPlatform().daemon().name("control-plane-probe-stream").unstarted(this::run);
        private final AtomicLong events = new AtomicLong();
        private final AtomicLong reconnects = new AtomicLong();
        private final List<Long> frameTimes = new ArrayList<>(); // nanoTime of every events frame, guarded by itself
        private volatile boolean closed;
        private volatile InputStream body;

        private void run() {
            while (!closed) {
                try {
                    HttpResponse<InputStream> res = http.send(HttpRequest.newBuilder(base.resolve("api/stream?backlog=0"))
                            .header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofInputStream());
                    body = res.body();
                    try (SseReader sse = new SseReader(res.body())) {
                        SseReader.Frame f;
                        while (!closed && (f = sse.next()) != null) {
                            if ("events".equals(f.event())) {
                                long n = countElements(f.data());
                                events.addAndGet(n);
                                synchronized (frameTimes) {
                                    frameTimes.add(System.nanoTime());
                                }
                            } else if ("dropped".equals(f.event())) {
                                break;
                            }
                        }
                    }
                } catch (IOException e) {
                    // the stream broke (or was closed): reconnect unless closing
                } catch (InterruptedException e) {
                    return;
                }
                if (!closed) {
                    reconnects.incrementAndGet();
                }
            }
        }

        /**
         * The elements of a JSON array, counted with the streaming parser: building a tree of
         * every 1,000-event frame (a million events in a flood) made this JVM's own collector
         * pause for up to 1.2 s on 2 cores, and the requests it timed meanwhile looked slow.
         */
        private static long countElements(String jsonArray) throws IOException {
            try (com.fasterxml.jackson.core.JsonParser p = JSON.createParser(jsonArray)) {
                if (p.nextToken() != com.fasterxml.jackson.core.JsonToken.START_ARRAY) {
                    throw new IOException("an events frame that is not an array: " + jsonArray);
                }
                long n = 0;
                while (p.nextToken() != com.fasterxml.jackson.core.JsonToken.END_ARRAY) {
                    p.skipChildren();
                    n++;
                }
                return n;
            }
        }

        long events() {
            return events.get();
        }

        long reconnects() {
            return reconnects.get();
        }

        /** Events frames that arrived between the two {@code System.nanoTime()} instants. */
        List<Long> frameTimesBetween(long fromNanos, long toNanos) {
            synchronized (frameTimes) {
                return frameTimes.stream().filter(t -> t >= fromNanos && t <= toNanos).toList();
            }
        }

        @Override
        public void close() {
            closed = true;
            InputStream b = body;
            if (b != null) {
                try {
                    b.close();
                } catch (IOException e) {
                    // closing anyway
                }
            }
            thread.interrupt();
        }
    }

    @Override
    public void close() {
        followers.forEach(StreamFollower::close);
        http.close();
    }
}
