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
 * a browser. A client whose queue is full is dropped: it is told so if it is still reading, and it
 * reconnects and resynchronises from the backlog.
 */
public final class LiveStreamHub {
    private final int queueCapacity;
    private final Set<Client> clients = ConcurrentHashMap.newKeySet();
    private final AtomicLong droppedClients = new AtomicLong();
    private final AtomicLong published = new AtomicLong();
    private final AtomicLong nextClientId = new AtomicLong(1);

    public LiveStreamHub(int queueCapacity) {
        this.queueCapacity = queueCapacity;
    }

    /** One connected client. Its writer takes from {@link #poll}; the hub only ever offers. */
    public final class Client implements AutoCloseable {
        private final long id = nextClientId.getAndIncrement();
        private final BlockingQueue<StreamMessage> queue = new ArrayBlockingQueue<>(queueCapacity);
        private volatile boolean dropped;

        public long id() {
            return id;
        }

        /** True once the hub gave up on this client because it fell too far behind. */
        public boolean dropped() {
            return dropped;
        }

        public StreamMessage poll(long timeout, TimeUnit unit) throws InterruptedException {
            return queue.poll(timeout, unit);
        }

        /** Moves up to {@code max} already-queued messages into {@code sink}, without waiting. */
        public int drainTo(java.util.Collection<StreamMessage> sink, int max) {
            return queue.drainTo(sink, max);
        }

        void offer(StreamMessage m) {
            if (dropped) {
                return;
            }
            if (!queue.offer(m)) {
                dropped = true;
                queue.clear();
                clients.remove(this);
                droppedClients.incrementAndGet();
            }
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

    /** Clients dropped so far for falling behind. */
    public long droppedClients() {
        return droppedClients.get();
    }

    public long publishedMessages() {
        return published.get();
    }
}
