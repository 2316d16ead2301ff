package dev.tether.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class EventBusTest {
    private static final Duration WAIT = Duration.ofMinutes(2);

    private static Event event(String session, int n) {
        return Event.builder(EventKind.FILE_OPEN).timeNs(n + 1).session(session).process(n, 1, n).build();
    }

    @Test
    void everySubscriberGetsEveryEventInPublishOrder() throws Exception {
        try (EventBus bus = new EventBus()) {
            List<Event> a = Collections.synchronizedList(new ArrayList<>());
            List<Event> b = Collections.synchronizedList(new ArrayList<>());
            Subscription sa = bus.subscribe("a", 1000, a::add);
            Subscription sb = bus.subscribeBatches("b", 1000, 7, b::addAll);
            List<Event> sent = new ArrayList<>();
            for (int i = 0; i < 500; i++) {
                Event e = event("s", i);
                sent.add(e);
                bus.publish(e);
            }
            assertThat(sa.awaitDelivered(WAIT)).isTrue();
            assertThat(sb.awaitDelivered(WAIT)).isTrue();
            assertThat(a).containsExactlyElementsOf(sent);
            assertThat(b).containsExactlyElementsOf(sent);
            assertThat(sa.dropped()).isZero();
            assertThat(bus.published()).isEqualTo(500);
        }
    }

    @Test
    void aStuckSubscriberIsDroppedFromWithoutBlockingThePublisherOrOthers() throws Exception {
        try (EventBus bus = new EventBus()) {
            CountDownLatch release = new CountDownLatch(1);
            CountDownLatch firstArrived = new CountDownLatch(1);
            AtomicLong slowGot = new AtomicLong();
            Subscription slow = bus.subscribe("slow", 10, e -> {
                firstArrived.countDown();
                try {
                    release.await();
                } catch (InterruptedException ex) {
                    Thread.currentThread().interrupt();
                }
                slowGot.incrementAndGet();
            });
            AtomicLong fastGot = new AtomicLong();
            Subscription fast = bus.subscribe("fast", 100_000, e -> fastGot.incrementAndGet());
            bus.publish(event("s", 0));
            firstArrived.await();
            // The slow consumer now holds one batch; its queue takes 10 more, the rest is dropped.
            for (int i = 1; i < 10_000; i++) {
                bus.publish(event(i % 2 == 0 ? "s" : "t", i));
            }
            assertThat(fast.awaitDelivered(WAIT)).isTrue();
            assertThat(fastGot.get()).isEqualTo(10_000);
            assertThat(slow.dropped()).isGreaterThanOrEqualTo(10_000 - 1 - 10 - 256);
            release.countDown();
            assertThat(slow.awaitDelivered(WAIT)).isTrue();
            assertThat(slowGot.get() + slow.dropped()).isEqualTo(10_000);
            Map<String, Long> bySession = slow.takeDroppedBySession();
            assertThat(bySession.values().stream().mapToLong(Long::longValue).sum()).isEqualTo(slow.dropped());
            assertThat(slow.takeDroppedBySession()).isEmpty();
        }
    }

    @Test
    void aThrowingSubscriberStaysSubscribedAndIsCounted() throws Exception {
        try (EventBus bus = new EventBus()) {
            AtomicLong seen = new AtomicLong();
            Subscription s = bus.subscribeBatches("bad", 100, 1, batch -> {
                if (seen.incrementAndGet() % 2 == 0) {
                    throw new IllegalStateException("boom");
                }
            });
            for (int i = 0; i < 10; i++) {
                bus.publish(event("s", i));
            }
            assertThat(s.awaitDelivered(WAIT)).isTrue();
            assertThat(seen.get()).isEqualTo(10);
            assertThat(s.failedBatches()).isEqualTo(5);
        }
    }

    @Test
    void closeDeliversWhatIsQueuedAndUnsubscribes() {
        EventBus bus = new EventBus();
        List<Event> got = Collections.synchronizedList(new ArrayList<>());
        Subscription s = bus.subscribe("x", 1000, got::add);
        for (int i = 0; i < 100; i++) {
            bus.publish(event("s", i));
        }
        s.close();
        assertThat(got).hasSize(100);
        assertThat(bus.subscriptions()).isEmpty();
        bus.publish(event("s", 101));
        assertThat(s.accepted()).isEqualTo(100);
        bus.close();
        assertThatThrownBy(() -> bus.subscribe("late", 1, e -> {})).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void floodFromSeveralPublishersLosesNothingUncounted() throws Exception {
        int publishers = 3;
        int perPublisher = 400_000;
        try (EventBus bus = new EventBus()) {
            AtomicLong roomy = new AtomicLong();
            AtomicLong tight = new AtomicLong();
            Subscription big = bus.subscribeBatches("roomy", 1 << 16, 4096, b -> roomy.addAndGet(b.size()));
            Subscription small = bus.subscribeBatches("tight", 64, 16, b -> {
                tight.addAndGet(b.size());
                Thread.onSpinWait();
            });
            Event e = event("s", 1);
            List<Thread> threads = new ArrayList<>();
            for (int p = 0; p < publishers; p++) {
                threads.add(Thread.ofPlatform().start(() -> {
                    for (int i = 0; i < perPublisher; i++) {
                        bus.publish(e);
                    }
                }));
            }
            for (Thread t : threads) {
                t.join();
            }
            long published = (long) publishers * perPublisher;
            assertThat(bus.published()).isEqualTo(published);
            assertThat(big.awaitDelivered(WAIT)).isTrue();
            assertThat(small.awaitDelivered(WAIT)).isTrue();
            assertThat(roomy.get() + big.dropped()).isEqualTo(published);
            assertThat(tight.get() + small.dropped()).isEqualTo(published);
            assertThat(big.accepted()).isEqualTo(big.delivered());
        }
    }

    @Test
    void aLingeringSubscriberGroupsEventsButNeverHoldsBackAFullBatchOrAClosingOne() throws Exception {
        try (EventBus bus = new EventBus()) {
            List<List<Event>> batches = Collections.synchronizedList(new ArrayList<>());
            // A linger far longer than the test's wait: only a full batch or close may end it.
            Subscription s = bus.subscribeBatches("grouped", 1000, 4, Duration.ofHours(1), batches::add);
            for (int i = 0; i < 8; i++) {
                bus.publish(event("s", i));
            }
            assertThat(s.awaitDelivered(WAIT)).as("two full batches are handed on at once").isTrue();
            assertThat(batches).allSatisfy(b -> assertThat(b).hasSize(4));
            bus.publish(event("s", 8));
            s.close();
            assertThat(batches.stream().mapToInt(List::size).sum()).as("closing hands on the lingering batch").isEqualTo(9);
        }
    }

    @Test
    void aSubscriberAsleepOnAnEmptyQueueIsWokenByTheNextEventEveryTime() throws Exception {
        // It sleeps with no timeout: an event that did not wake it would never be delivered.
        try (EventBus bus = new EventBus()) {
            List<Event> got = Collections.synchronizedList(new ArrayList<>());
            Subscription s = bus.subscribe("sleeper", 100, got::add);
            for (int i = 0; i < 50; i++) {
                long deadline = System.nanoTime() + WAIT.toNanos();
                while (!s.asleep() && System.nanoTime() < deadline) {
                    Thread.sleep(1);
                }
                assertThat(s.asleep()).as("idle after event %d", i).isTrue();
                bus.publish(event("s", i));
                assertThat(s.awaitDelivered(WAIT)).as("event %d delivered", i).isTrue();
            }
            assertThat(got).hasSize(50);
        }
    }

    @Test
    void publishersRacingTheSubscribersSleepLoseNothing() throws Exception {
        // Bursts with pauses, so the delivery thread keeps falling asleep while others publish.
        try (EventBus bus = new EventBus()) {
            AtomicLong got = new AtomicLong();
            Subscription s = bus.subscribeBatches("racer", 1 << 16, 3, b -> got.addAndGet(b.size()));
            List<Thread> publishers = new ArrayList<>();
            for (int t = 0; t < 3; t++) {
                int seed = t;
                publishers.add(Thread.ofPlatform().start(() -> {
                    java.util.Random r = new java.util.Random(seed);
                    for (int i = 0; i < 2000; i++) {
                        bus.publish(event("s", i));
                        if (r.nextInt(50) == 0) {
                            java.util.concurrent.locks.LockSupport.parkNanos(r.nextInt(15_000_000));
                        }
                    }
                }));
            }
            for (Thread p : publishers) {
                p.join();
            }
            assertThat(s.awaitDelivered(WAIT)).isTrue();
            assertThat(got.get()).isEqualTo(6000);
            assertThat(s.dropped()).isZero();
        }
    }
}
