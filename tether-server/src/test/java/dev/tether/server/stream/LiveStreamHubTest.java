package dev.tether.server.stream;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.events.Verdict;
import dev.tether.server.spi.ActivityEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class LiveStreamHubTest {
    private final AtomicLong now = new AtomicLong(1_000_000_000L);
    private final LiveStreamHub hub = new LiveStreamHub(16, Duration.ofSeconds(30), now::get);

    private static StreamMessage event(long seq) {
        return new StreamMessage.EventMessage(new ActivityEvent(seq, 0, "s1", "claude", 1, 0, "cat", "/usr/bin/cat",
                "FileOpenReadOnly", "/workspace/" + seq, Verdict.ALLOW, List.of(), null, List.of(), Map.of()));
    }

    private void publish(int n) {
        for (int i = 0; i < n; i++) {
            hub.publish(event(i));
        }
    }

    @Test
    void aClientBusyForAFewSecondsWhileAFloodSkipsPastItIsNotDropped() throws Exception {
        LiveStreamHub.Client client = hub.connect();
        // A million events go past a full queue in five seconds without the client taking any:
        // with the old rule (four queues' worth skipped) it was gone after the first 81.
        for (int second = 0; second < 5; second++) {
            publish(200_000);
            now.addAndGet(TimeUnit.SECONDS.toNanos(1));
        }
        assertThat(client.dropped()).isFalse();
        assertThat(client.takeSkipped()).isEqualTo(1_000_000 - 16);
        List<StreamMessage> taken = new ArrayList<>();
        assertThat(client.drainTo(taken, 100)).isEqualTo(16);
        assertThat(hub.droppedClients()).isZero();
    }

    @Test
    void aClientThatTakesNothingForTheStallTimeWhileItsQueueIsFullIsDropped() {
        LiveStreamHub.Client client = hub.connect();
        LiveStreamHub.Client reader = hub.connect();
        publish(16);
        now.addAndGet(Duration.ofSeconds(30).toNanos());
        publish(1); // full, but not yet past the stall time
        assertThat(client.dropped()).isFalse();
        List<StreamMessage> sink = new ArrayList<>();
        reader.drainTo(sink, 100); // the other client reads and stays
        now.addAndGet(1);
        publish(1);
        assertThat(client.dropped()).isTrue();
        assertThat(reader.dropped()).isFalse();
        assertThat(hub.droppedClients()).isEqualTo(1);
        assertThat(hub.connectedClients()).isEqualTo(1);
    }

    @Test
    void takingAnythingRestartsTheStallTime() throws Exception {
        LiveStreamHub.Client client = hub.connect();
        for (int i = 0; i < 10; i++) {
            publish(100);
            now.addAndGet(Duration.ofSeconds(25).toNanos());
            assertThat(client.poll(0, TimeUnit.NANOSECONDS)).isNotNull();
        }
        publish(100);
        assertThat(client.dropped()).as("250 s in all, never 30 s without a take").isFalse();
    }

    @Test
    void anIdleClientWithRoomInItsQueueIsNeverDropped() {
        LiveStreamHub.Client client = hub.connect();
        publish(15);
        now.addAndGet(Duration.ofHours(1).toNanos());
        publish(1);
        assertThat(client.dropped()).isFalse();
    }
}
