package dev.tether.events.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.events.Event;
import dev.tether.events.EventBus;
import dev.tether.events.Events;
import dev.tether.events.Subscription;
import dev.tether.events.Verdict;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A flood through bus and store: whatever the store keeps up with is written, whatever it does not
 * is dropped by the bus and recorded as lost; written + lost equals published, for the host and
 * per session.
 */
class BusToStoreFloodTest {
    @TempDir Path dir;

    @Test
    void writtenPlusRecordedLossEqualsPublished() throws Exception {
        int publishers = 2;
        int perPublisher = 600_000; // 1.2 million in all
        try (EventBus bus = new EventBus(); AuditStore store = AuditStore.open(dir.resolve("audit.db"))) {
            // A small queue, so the flood outruns the writer and the loss path is exercised too.
            Subscription sub = store.attach(bus, 4096);
            List<Thread> threads = new ArrayList<>();
            for (int p = 0; p < publishers; p++) {
                String session = "flood-" + p;
                threads.add(Thread.ofPlatform().start(() -> {
                    long t = Event.nowNs();
                    for (int i = 0; i < perPublisher; i++) {
                        bus.publish(Events.open(session, t + i, "/workspace/src/file" + (i % 1000) + ".c", Verdict.ALLOW));
                    }
                }));
            }
            for (Thread t : threads) {
                t.join();
            }
            assertThat(store.flush(Duration.ofMinutes(5))).isTrue();

            long published = (long) publishers * perPublisher;
            long stored = store.count(AuditQuery.all());
            System.out.printf("flood: published %d, stored %d, dropped by the bus %d, lost by the store %d%n",
                    published, stored, sub.dropped(), store.lost());
            assertThat(bus.published()).isEqualTo(published);
            assertThat(store.lost()).isZero();
            assertThat(stored + sub.dropped()).isEqualTo(published);
            assertThat(stored).isEqualTo(store.written());
            long recordedLoss = 0;
            for (int p = 0; p < publishers; p++) {
                SessionRecord r = store.session("flood-" + p).orElseThrow();
                assertThat(r.events() + r.eventsLost()).isEqualTo(perPublisher);
                assertThat(r.lossMeasured()).isFalse();
                recordedLoss += r.eventsLost();
            }
            assertThat(recordedLoss).isEqualTo(sub.dropped());
        }
    }
}
