package dev.tether.kernel.bpf;

import dev.tether.kernel.cgroup.SandboxCgroup;
import dev.tether.kernel.event.KernelEvent;
import dev.tether.kernel.event.KernelEventDecoder;
import dev.tether.kernel.ffm.LibBpf;
import dev.tether.kernel.ffm.LibC;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;

/**
 * The tracepoint monitors, loaded once per daemon and scoped in the kernel to registered sandbox
 * cgroups (and their descendants). Sandboxes register before their first process runs.
 */
public final class SandboxMonitor implements AutoCloseable {
    /** Objects loaded, in order; the first creates the shared maps the others reuse. */
    static final List<String> OBJECTS = List.of("exec_monitor");
    private static final List<String> SHARED_MAPS = List.of("events", "events_lost", "scope_config", "sandbox_cgroups");

    private final LibBpf libbpf;
    private final List<BpfObject> objects;
    private final BpfMap sandboxCgroups;
    private final BpfMap eventsLost;
    private final int possibleCpus;
    private final RingBufferConsumer consumer;

    private SandboxMonitor(LibBpf libbpf, List<BpfObject> objects, RingBufferConsumer consumer) {
        this.libbpf = libbpf;
        this.objects = objects;
        BpfObject first = objects.getFirst();
        this.sandboxCgroups = first.map("sandbox_cgroups");
        this.eventsLost = first.map("events_lost");
        this.possibleCpus = PossibleCpus.count();
        this.consumer = consumer;
    }

    /**
     * Loads and attaches every monitor program and starts draining events into {@code sink}.
     *
     * @param sessionLevel cgroup2 level of session cgroups ({@link SandboxCgroup#sessionLevel})
     */
    public static SandboxMonitor start(LibBpf libbpf, LibC libc, int sessionLevel, Consumer<KernelEvent> sink) {
        List<BpfObject> loaded = new java.util.ArrayList<>();
        try {
            BpfObject first = null;
            for (String name : OBJECTS) {
                BpfObject obj = BpfObject.open(libbpf, name);
                loaded.add(obj);
                if (first != null) {
                    for (String m : SHARED_MAPS) {
                        obj.shareMap(m, first.map(m));
                    }
                }
                obj.load();
                if (first == null) {
                    first = obj;
                    writeScopeLevel(first.map("scope_config"), sessionLevel);
                }
            }
            RingBufferConsumer consumer = new RingBufferConsumer(libbpf, first.map("events"),
                    new KernelEventDecoder(libc.bootToWallOffsetNanos()), sink, Duration.ofMillis(10));
            // Attach only once the consumer exists, so no event lands in a ring nobody reads.
            for (BpfObject obj : loaded) {
                for (String program : programsOf(obj.name())) {
                    obj.attach(program);
                }
            }
            return new SandboxMonitor(libbpf, List.copyOf(loaded), consumer.start());
        } catch (RuntimeException e) {
            for (BpfObject obj : loaded.reversed()) {
                obj.close();
            }
            throw e;
        }
    }

    static List<String> programsOf(String object) {
        return switch (object) {
            case "exec_monitor" -> List.of("handle_exec");
            default -> throw new IllegalArgumentException("unknown monitor object " + object);
        };
    }

    private static void writeScopeLevel(BpfMap scopeConfig, int level) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment key = a.allocateFrom(ValueLayout.JAVA_INT, 0);
            MemorySegment value = a.allocateFrom(ValueLayout.JAVA_INT, level);
            scopeConfig.put(key, value);
        }
    }

    /** From now on, tasks in {@code cgroup} or below report their events tagged with {@code slot}. */
    public void register(SandboxCgroup cgroup, int slot) {
        sandboxCgroups.putLongToInt(cgroup.id(), slot);
    }

    public void unregister(SandboxCgroup cgroup) {
        sandboxCgroups.deleteLong(cgroup.id());
    }

    /** Events the kernel could not put in the ring (ring full), summed over CPUs: measured, not estimated. */
    public long eventsLost() {
        return eventsLost.sumPerCpuLong(0, possibleCpus);
    }

    public long eventsDelivered() {
        return consumer.delivered();
    }

    @Override
    public void close() {
        // Detach first so nothing new is produced, then drain what is already in the ring.
        for (BpfObject obj : objects) {
            obj.detachAll();
        }
        consumer.close();
        for (BpfObject obj : objects.reversed()) {
            obj.close();
        }
    }
}
