package dev.tether.events;

import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;

/**
 * One subscriber of an {@link EventBus}: a bounded queue, a delivery thread and its counters.
 * Closing it unsubscribes, delivers what is already queued and stops the thread.
 */
public final class Subscription implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(Subscription.class.getName());
    /*
     * The delivery thread polls, backing off while idle, instead of blocking on the queue: a
     * blocked consumer must be woken by the publisher (a futex wake, microseconds, on the kernel
     * consumer's thread for every event that finds it asleep). Polling costs at most ~100 wakeups
     * a second per idle subscriber and adds at most MAX_IDLE_NANOS of latency.
     */
    private static final long MIN_IDLE_NANOS = 50_000;
    private static final long MAX_IDLE_NANOS = 10_000_000;

    private final String name;
    private final int capacity;
    private final int maxBatch;
    private final long lingerNanos;
    private final ArrayBlockingQueue<Event> queue;
    private final Consumer<? super List<Event>> consumer;
    private final Consumer<Subscription> onClose;
    private final Thread thread;
    private final LongAdder accepted = new LongAdder();
    private final LongAdder dropped = new LongAdder();
    private final AtomicLong delivered = new AtomicLong();
    private final AtomicLong failedBatches = new AtomicLong();
    private final ConcurrentHashMap<String, Long> droppedBySession = new ConcurrentHashMap<>();
    private final Object progress = new Object();
    private volatile boolean closing;

    Subscription(String name, int capacity, int maxBatch, long lingerNanos, Consumer<? super List<Event>> consumer,
            Consumer<Subscription> onClose) {
        this.name = name;
        this.capacity = capacity;
        this.maxBatch = maxBatch;
        this.lingerNanos = lingerNanos;
        this.queue = new ArrayBlockingQueue<>(capacity);
        this.consumer = consumer;
        this.onClose = onClose;
        this.thread = Thread.ofPlatform().daemon().name("tether-bus-" + name).unstarted(this::deliver);
    }

    void start() {
        thread.start();
    }

    void offer(Event e) {
        if (closing) {
            return;
        }
        if (queue.offer(e)) {
            accepted.increment();
        } else {
            dropped.increment();
            if (e.session() != null) {
                droppedBySession.merge(e.session(), 1L, Long::sum);
            }
        }
    }

    /**
     * Lets a small batch gather what arrives in the next {@link #lingerNanos}, draining every
     * millisecond (so a fast publisher fills the batch, never the queue), until it is full or the
     * subscription closes. Measured: a store transaction per event cost ~57 µs of CPU per event
     * when a sandbox's file creates were gated one at a time.
     */
    private void linger(List<Event> batch) {
        long until = System.nanoTime() + lingerNanos;
        while (batch.size() < maxBatch && !closing) {
            long left = until - System.nanoTime();
            if (left <= 0) {
                return;
            }
            LockSupport.parkNanos(Math.min(left, 1_000_000));
            queue.drainTo(batch, maxBatch - batch.size());
        }
    }

    private void deliver() {
        List<Event> batch = new ArrayList<>(maxBatch);
        long idle = MIN_IDLE_NANOS;
        while (true) {
            if (queue.drainTo(batch, maxBatch) == 0) {
                if (closing && queue.isEmpty()) {
                    break;
                }
                LockSupport.parkNanos(idle);
                idle = Math.min(idle * 2, MAX_IDLE_NANOS);
                continue;
            }
            idle = MIN_IDLE_NANOS;
            if (lingerNanos > 0) {
                linger(batch);
            }
            List<Event> handed = batch;
            batch = new ArrayList<>(maxBatch);
            try {
                consumer.accept(handed);
            } catch (RuntimeException | Error ex) {
                failedBatches.incrementAndGet();
                LOG.log(Level.WARNING, "subscriber " + name + " failed on a batch of " + handed.size(), ex);
            }
            delivered.addAndGet(handed.size());
            synchronized (progress) {
                progress.notifyAll();
            }
        }
        synchronized (progress) {
            progress.notifyAll();
        }
    }

    public String name() {
        return name;
    }

    public int capacity() {
        return capacity;
    }

    /** Events put in this subscriber's queue. */
    public long accepted() {
        return accepted.sum();
    }

    /** Events this subscriber never got because its queue was full. */
    public long dropped() {
        return dropped.sum();
    }

    /** Events handed to the consumer (including batches it failed on). */
    public long delivered() {
        return delivered.get();
    }

    /** Batches on which the consumer threw (it is kept subscribed). */
    public long failedBatches() {
        return failedBatches.get();
    }

    /** Events waiting in the queue. */
    public int pending() {
        return queue.size();
    }

    /**
     * Drops counted per session since the last call, and resets them: lets the audit store record
     * each session's loss.
     */
    public Map<String, Long> takeDroppedBySession() {
        Map<String, Long> out = new HashMap<>();
        for (String s : droppedBySession.keySet()) {
            Long n = droppedBySession.remove(s);
            if (n != null) {
                out.merge(s, n, Long::sum);
            }
        }
        return out;
    }

    /**
     * Waits until every event accepted before this call has been delivered.
     *
     * @return false if that did not happen within {@code timeout}
     */
    public boolean awaitDelivered(Duration timeout) throws InterruptedException {
        long target = accepted();
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (progress) {
            while (delivered.get() < target) {
                long left = deadline - System.nanoTime();
                if (left <= 0 || !thread.isAlive()) {
                    return delivered.get() >= target;
                }
                progress.wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
            }
        }
        return true;
    }

    /** Unsubscribes, delivers what is queued, and waits for the delivery thread to finish. */
    @Override
    public void close() {
        if (closing) {
            return;
        }
        closing = true;
        onClose.accept(this);
        LockSupport.unpark(thread);
        boolean interrupted = false;
        while (thread.isAlive()) {
            try {
                thread.join();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        return "Subscription[" + name + ", accepted=" + accepted() + ", dropped=" + dropped() + ", delivered="
                + delivered() + "]";
    }
}
