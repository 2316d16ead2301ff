package dev.tether.server.stream;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Fans messages out to live-stream clients. Each client has a bounded queue; publishing only
 * offers, so the publisher (the event bus thread, ultimately the enforcement path) never waits for
 * a browser.
 *
 * <p>A client whose queue is full skips events (counted, and the client is told how many) but
 * stays connected: a page that reads slower than a flood arrives keeps showing live activity
 * with gaps, instead of being dropped, reconnecting, re-reading its backlog and falling behind
 * again for as long as the flood lasts. Policy and session changes are never skipped: they take
 * the place of the oldest queued event. A client that has taken nothing for the stall time
 * while its queue is full is not reading at all: it is dropped (told so if it still reads, and
 * it reconnects and resynchronises from the backlog).
 *
 * <p>Stalled by time, not by the number of events skipped: it was "four queues' worth of events
 * skipped with nothing taken", which a flood of 100,000 events a second reached while a page was
 * still receiving its 10,000-event backlog (a few seconds on a slow host), so the page was dropped,
 * reconnected, and was dropped again in the same place for as long as the flood lasted
 * (ResilienceIT's flood test: live after 46 s, eleven backlogs received).
 */
public final class LiveStreamHub {
    private final int queueCapacity;
    private final Set<Client> clients = ConcurrentHashMap.newKeySet();
    private final AtomicLong droppedClients = new AtomicLong();
    private final AtomicLong published = new AtomicLong();
    private final AtomicLong nextClientId = new AtomicLong(1);
    private final AtomicLong skippedEvents = new AtomicLong();
    private final long stallNanos;
    private final LongSupplier nanoClock;

    /** @param stall how long a client with a full queue may take nothing before it is dropped */
    public LiveStreamHub(int queueCapacity, Duration stall) {
        this(queueCapacity, stall, System::nanoTime);
    }

    LiveStreamHub(int queueCapacity, Duration stall, LongSupplier nanoClock) {
        this.queueCapacity = queueCapacity;
        this.stallNanos = stall.toNanos();
        this.nanoClock = nanoClock;
    }

    /** One connected client. Its writer takes from {@link #poll}; the hub only ever offers. */
    public final class Client implements AutoCloseable {
        private final long id = nextClientId.getAndIncrement();
        private final BlockingQueue<StreamMessage> queue = new ArrayBlockingQueue<>(queueCapacity);
        private volatile boolean dropped;
        /** Events skipped since the writer last reported them ({@link #takeSkipped}). */
        private final AtomicLong skipped = new AtomicLong();
        /** When the writer last took anything from the queue (or the client connected). */
        private volatile long lastTakeNanos = nanoClock.getAsLong();

        public long id() {
            return id;
        }

        /** True once the hub gave up on this client because it stopped reading. */
        public boolean dropped() {
            return dropped;
        }

        public StreamMessage poll(long timeout, TimeUnit unit) throws InterruptedException {
            StreamMessage m = queue.poll(timeout, unit);
            if (m != null) {
                lastTakeNanos = nanoClock.getAsLong();
            }
            return m;
        }

        /** Moves up to {@code max} already-queued messages into {@code sink}, without waiting. */
        public int drainTo(java.util.Collection<StreamMessage> sink, int max) {
            int n = queue.drainTo(sink, max);
            if (n > 0) {
                lastTakeNanos = nanoClock.getAsLong();
            }
            return n;
        }

        /** Events skipped for this client since the last call (the writer tells the client). */
        public long takeSkipped() {
            return skipped.getAndSet(0);
        }

        void offer(StreamMessage m) {
            if (dropped) {
                return;
            }
            if (queue.offer(m)) {
                return;
            }
            if (m instanceof StreamMessage.EventMessage) {
                skip();
                return;
            }
            // A policy or session change must arrive: it replaces the oldest queued event.
            for (StreamMessage queued : queue) {
                if (queued instanceof StreamMessage.EventMessage && queue.remove(queued)) {
                    skip();
                    if (queue.offer(m)) {
                        return;
                    }
                    break;
                }
            }
            drop();
        }

        private void skip() {
            skipped.incrementAndGet();
            skippedEvents.incrementAndGet();
            if (nanoClock.getAsLong() - lastTakeNanos > stallNanos) {
                drop();
            }
        }

        private void drop() {
            dropped = true;
            queue.clear();
            clients.remove(this);
            droppedClients.incrementAndGet();
        }

        @Override
        public void close() {
            clients.remove(this);
        }
    }

    public Client connect() {
        Client c = new Client();
        clients.add(c);
        return c;
    }

    public void publish(StreamMessage m) {
        published.incrementAndGet();
        for (Client c : clients) {
            c.offer(m);
        }
    }

    public int connectedClients() {
        return clients.size();
    }

    /** Events skipped so far for clients that read slower than events arrived (summed over clients). */
    public long skippedEvents() {
        return skippedEvents.get();
    }

    /** Clients dropped so far for not reading. */
    public long droppedClients() {
        return droppedClients.get();
    }

    public long publishedMessages() {
        return published.get();
    }
}
