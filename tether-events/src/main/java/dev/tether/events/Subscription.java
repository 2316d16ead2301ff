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
import java.util.concurrent.atomic.AtomicInteger;
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
     * Waking a thread is what an event costs most here, not handling it: on these VMs a wake-up
     * (timer, futex, context switch) took ~40 µs of CPU, and a subscriber that polled with a
     * 50 µs..10 ms back-off woke ~5 times per event of a sandbox running one exec every few
     * hundred µs, ~0.8 ms of JVM CPU per exec across the subscribers (BENCHMARKS.md, "Event
     * delivery"). So a subscriber sleeps without a timeout while its queue is empty, and the
     * publisher wakes it with the first event (one futex wake per idle-to-busy change); once
     * awake it hands on a batch, then gathers for GATHER_NANOS before the next, unless the
     * queue reaches a full batch (or half its capacity) first: the publisher wakes it then too. Events that keep
     * coming cost a wake-up per GATHER_NANOS per subscriber, not one per event, at the price of
     * up to GATHER_NANOS of latency for all but the first.
     */
    static final long GATHER_NANOS = 10_000_000;

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
    /** Events in the queue, kept beside it so the publisher sees a full batch without taking the queue's lock. */
    private final AtomicInteger queued = new AtomicInteger();
    /** The delivery thread is parked with no timeout: the next publisher must wake it. */
    private volatile boolean asleep;
    /** While the delivery thread gathers: the queued count that completes its batch (the publisher reaching it wakes it). */
    private volatile int wakeAt = Integer.MAX_VALUE;
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
            // The queue's lock (offer) comes before this read of asleep, and the delivery thread
            // sets asleep before it looks at the queue: one of the two sees the other.
            if (queued.incrementAndGet() == wakeAt || asleep) {
                LockSupport.unpark(thread);
            }
        } else {
            dropped.increment();
            if (e.session() != null) {
                droppedBySession.merge(e.session(), 1L, Long::sum);
            }
        }
    }

    private int drain(List<Event> batch) {
        int n = queue.drainTo(batch, maxBatch - batch.size());
        if (n > 0) {
            queued.addAndGet(-n);
        }
        return n;
    }

    /** Parks up to {@code nanos} unless {@code needed} more events are queued or the subscription closes. */
    private void waitFor(long nanos, int needed) {
        wakeAt = needed;
        long until = System.nanoTime() + nanos;
        long left = nanos;
        while (left > 0 && queued.get() < needed && !closing) {
            LockSupport.parkNanos(left);
            left = until - System.nanoTime();
        }
        wakeAt = Integer.MAX_VALUE;
    }

    private void deliver() {
        List<Event> batch = new ArrayList<>(maxBatch);
        while (true) {
            if (drain(batch) == 0) {
                if (closing && queue.isEmpty()) {
                    break;
                }
                asleep = true;
                if (queue.isEmpty() && !closing) {
                    LockSupport.park(this);
                }
                asleep = false;
                continue;
            }
            if (batch.size() < maxBatch && lingerNanos > 0) {
                // A consumer with a cost per batch (a store transaction) waits for company.
                waitFor(lingerNanos, Math.min(maxBatch - batch.size(), wakeBeforeFull()));
                drain(batch);
            }
            boolean full = batch.size() == maxBatch;
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
            if (!full) {
                waitFor(GATHER_NANOS, wakeBeforeFull());
            }
        }
        synchronized (progress) {
            progress.notifyAll();
        }
    }

    /** Queued events that end a wait: a full batch, or half the queue if that is less (a small queue must not overflow while its thread gathers). */
    private int wakeBeforeFull() {
        return Math.min(maxBatch, Math.max(1, capacity / 2));
    }

    /** Whether the delivery thread sleeps until the next event (tests). */
    boolean asleep() {
        return asleep;
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
