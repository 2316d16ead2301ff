package dev.tether.bench.events;

import dev.tether.events.Event;
import dev.tether.events.EventBus;
import dev.tether.events.Subscription;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What {@link EventBus#publish} costs the kernel consumer's thread, against the floor of handing
 * an event to one bounded queue ({@code ArrayBlockingQueue.offer}) that a thread drains the same
 * way. Subscribers only count, so the cost measured is the bus's own.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class EventBusBenchmark {
    @Param({"1", "3"})
    public int subscribers;

    private EventBus bus;
    private final List<Subscription> subs = new ArrayList<>();
    private ArrayBlockingQueue<Event> queue;
    private Thread drainer;
    private volatile boolean running;
    private final LongAdder drained = new LongAdder();
    private Event[] events;
    private int next;

    @Setup(Level.Trial)
    public void setUp() {
        events = EventMix.generate(4096, 5).toArray(Event[]::new);
        bus = new EventBus();
        for (int i = 0; i < subscribers; i++) {
            subs.add(bus.subscribeBatches("bench-" + i, 1 << 16, 4096, b -> drained.add(b.size())));
        }
        queue = new ArrayBlockingQueue<>(1 << 16);
        running = true;
        drainer = Thread.ofPlatform().daemon().start(() -> {
            List<Event> batch = new ArrayList<>(4096);
            while (running) {
                try {
                    Event e = queue.poll(50, TimeUnit.MILLISECONDS);
                    if (e != null) {
                        batch.add(e);
                        queue.drainTo(batch, 4095);
                        drained.add(batch.size());
                        batch = new ArrayList<>(4096);
                    }
                } catch (InterruptedException ex) {
                    return;
                }
            }
        });
    }

    @TearDown(Level.Trial)
    public void tearDown() throws InterruptedException {
        running = false;
        drainer.join();
        long dropped = subs.stream().mapToLong(Subscription::dropped).sum();
        long accepted = subs.stream().mapToLong(Subscription::accepted).sum();
        System.out.printf("%n[bus] subscribers=%d accepted=%d dropped=%d (%.2f%%)%n", subscribers, accepted, dropped,
                100.0 * dropped / Math.max(1, accepted + dropped));
        bus.close();
    }

    @Benchmark
    public void busPublish() {
        bus.publish(events[next++ & 4095]);
    }

    /** Baseline: one bounded queue, no bus. */
    @Benchmark
    public boolean baselineQueueOffer() {
        return queue.offer(events[next++ & 4095]);
    }
}
