package dev.tether.server.standalone;

import dev.tether.server.spi.ActivityEvent;
import dev.tether.server.spi.EventPage;
import dev.tether.server.spi.EventQuery;
import dev.tether.server.spi.EventSource;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Consumer;

/**
 * A bounded in-memory {@link EventSource}: the newest {@code capacity} events in a ring, queried
 * newest first, and delivered synchronously to subscribers (whose consumers must only enqueue).
 * It assigns sequence numbers. Stands in for the audit store and bus in tests and in a UI without
 * a daemon.
 */
public final class InMemoryEventLog implements EventSource {
    private final ActivityEvent[] ring;
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private final List<Consumer<ActivityEvent>> subscribers = new CopyOnWriteArrayList<>();
    private long nextSeq = 1;
    private int size;
    private int head; // index of the next write

    public InMemoryEventLog(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be positive");
        }
        ring = new ActivityEvent[capacity];
    }

    /** Stores the event with the next sequence number, then hands it to every subscriber. */
    public ActivityEvent publish(ActivityEvent event) {
        ActivityEvent stored;
        lock.writeLock().lock();
        try {
            stored = event.withSeq(nextSeq++);
            ring[head] = stored;
            head = (head + 1) % ring.length;
            size = Math.min(size + 1, ring.length);
        } finally {
            lock.writeLock().unlock();
        }
        for (Consumer<ActivityEvent> s : subscribers) {
            s.accept(stored);
        }
        return stored;
    }

    @Override
    public EventPage query(EventQuery q) {
        List<ActivityEvent> out = new ArrayList<>(Math.min(q.limit(), 256));
        Long next = null;
        lock.readLock().lock();
        try {
            for (int i = 0; i < size; i++) {
                ActivityEvent e = ring[Math.floorMod(head - 1 - i, ring.length)];
                if (q.afterSeq() != null && e.seq() <= q.afterSeq()) {
                    break;
                }
                if (!q.matches(e)) {
                    continue;
                }
                if (out.size() == q.limit()) {
                    next = out.getLast().seq();
                    break;
                }
                out.add(e);
            }
        } finally {
            lock.readLock().unlock();
        }
        return new EventPage(out, next);
    }

    @Override
    public AutoCloseable subscribe(String name, Consumer<ActivityEvent> consumer) {
        subscribers.add(consumer);
        return () -> subscribers.remove(consumer);
    }
}
