package dev.tether.server.stream;

import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Fans messages out to live-stream clients. Each client has a bounded queue; publishing only
 * offers, so the publisher (the event bus thread, ultimately the enforcement path) never waits for
 * a browser.
 *
 * <p>A client whose queue is full skips events (counted, and the client is told how many) but
 * stays connected: a page that reads slower than a flood arrives keeps showing live activity
 * with gaps, instead of being dropped, reconnecting, re-reading its backlog and falling behind
 * again for as long as the flood lasts. Policy and session changes are never skipped: they take
 * the place of the oldest queued event. A client that takes nothing while {@link #STALL_FACTOR}
 * queues' worth of events go past is not reading at all: it is dropped (told so if it still
 * reads, and it reconnects and resynchronises from the backlog).
 */
public final class LiveStreamHub {
    private final int queueCapacity;
    private final Set<Client> clients = ConcurrentHashMap.newKeySet();
    private final AtomicLong droppedClients = new AtomicLong();
    private final AtomicLong published = new AtomicLong();
    private final AtomicLong nextClientId = new AtomicLong(1);
    private final AtomicLong skippedEvents = new AtomicLong();
    /** Events skipped with nothing taken, in queue capacities, after which a client counts as stalled. */
    static final int STALL_FACTOR = 4;

    public LiveStreamHub(int queueCapacity) {
        this.queueCapacity = queueCapacity;
    }

    /** One connected client. Its writer takes from {@link #poll}; the hub only ever offers. */
    public final class Client implements AutoCloseable {
        private final long id = nextClientId.getAndIncrement();
        private final BlockingQueue<StreamMessage> queue = new ArrayBlockingQueue<>(queueCapacity);
        private volatile boolean dropped;
        /** Events skipped since the writer last reported them ({@link #takeSkipped}). */
        private final AtomicLong skipped = new AtomicLong();
        /** Events skipped since the writer last took anything from the queue. */
        private final AtomicLong skippedSinceTake = new AtomicLong();

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
                skippedSinceTake.set(0);
            }
            return m;
        }

        /** Moves up to {@code max} already-queued messages into {@code sink}, without waiting. */
        public int drainTo(java.util.Collection<StreamMessage> sink, int max) {
            int n = queue.drainTo(sink, max);
            if (n > 0) {
                skippedSinceTake.set(0);
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
            if (skippedSinceTake.incrementAndGet() > (long) STALL_FACTOR * queueCapacity) {
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
