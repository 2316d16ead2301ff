package dev.tether.events;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;

/**
 * Fans events out to subscribers (audit store, live stream, exporters, session counters). Any
 * thread may publish: the kernel consumer, the proxy, the policy holder. {@link #publish} never
 * blocks and never waits for a subscriber: each subscriber has its own bounded queue and delivery
 * thread, and when its queue is full the event is dropped <em>for that subscriber only</em> and
 * counted ({@link Subscription#dropped()}).
 *
 * <p>For every subscription, {@code accepted + dropped} equals the events published while it was
 * subscribed, and {@code accepted = delivered + pending}: nothing disappears uncounted.
 */
public final class EventBus implements AutoCloseable {
    private final LongAdder published = new LongAdder();
    private final Object lock = new Object();
    // Copy-on-write: publish reads one volatile array, subscribe/unsubscribe are rare.
    private volatile Subscription[] subscriptions = new Subscription[0];
    private volatile boolean closed;

    /** Hands {@code event} to every current subscriber's queue; drops (counted) where a queue is full. */
    public void publish(Event event) {
        Objects.requireNonNull(event, "event");
        if (closed) {
            return;
        }
        published.increment();
        for (Subscription s : subscriptions) {
            s.offer(event);
        }
    }

    /** Events handed to {@link #publish} while the bus was open. */
    public long published() {
        return published.sum();
    }

    /**
     * Subscribes {@code consumer}, called on the subscription's own thread, one event at a time, in
     * publish order per publishing thread.
     *
     * @param name shown in loss reports and thread names, e.g. {@code audit-store}
     * @param capacity events the queue holds before it drops
     */
    public Subscription subscribe(String name, int capacity, Consumer<? super Event> consumer) {
        Objects.requireNonNull(consumer, "consumer");
        return subscribeBatches(name, capacity, 256, batch -> {
            for (Event e : batch) {
                consumer.accept(e);
            }
        });
    }

    /**
     * Subscribes {@code consumer} with batches of up to {@code maxBatch} events (everything queued
     * when the thread wakes, so batches grow under load: what a store writer wants). The list is
     * the consumer's to keep.
     */
    public Subscription subscribeBatches(String name, int capacity, int maxBatch, Consumer<? super List<Event>> consumer) {
        return subscribeBatches(name, capacity, maxBatch, java.time.Duration.ZERO, consumer);
    }

    /**
     * As above, but a batch smaller than {@code maxBatch} waits up to {@code linger} for more
     * events before it is handed on: for a consumer with a fixed cost per batch (a store
     * transaction), which events trickling in one at a time would otherwise pay once per event.
     */
    public Subscription subscribeBatches(String name, int capacity, int maxBatch, java.time.Duration linger,
                                         Consumer<? super List<Event>> consumer) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(linger, "linger");
        Objects.requireNonNull(consumer, "consumer");
        if (capacity < 1 || maxBatch < 1) {
            throw new IllegalArgumentException("capacity and maxBatch must be positive");
        }
        Subscription s = new Subscription(name, capacity, maxBatch, linger.toNanos(), consumer, this::remove);
        synchronized (lock) {
            if (closed) {
                throw new IllegalStateException("event bus is closed");
            }
            Subscription[] next = Arrays.copyOf(subscriptions, subscriptions.length + 1);
            next[next.length - 1] = s;
            subscriptions = next;
        }
        s.start();
        return s;
    }

    /** The current subscriptions (for doctor/summary reporting of drops). */
    public List<Subscription> subscriptions() {
        return List.of(subscriptions);
    }

    private void remove(Subscription s) {
        synchronized (lock) {
            List<Subscription> next = new ArrayList<>(Arrays.asList(subscriptions));
            next.remove(s);
            subscriptions = next.toArray(new Subscription[0]);
        }
    }

    /** Stops accepting events; each subscription delivers what it has queued, then stops. */
    @Override
    public void close() {
        Subscription[] all;
        synchronized (lock) {
            closed = true;
            all = subscriptions;
        }
        for (Subscription s : all) {
            s.close();
        }
    }
}
