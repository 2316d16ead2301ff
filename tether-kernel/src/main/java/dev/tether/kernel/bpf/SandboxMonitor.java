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
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The tracepoint monitors, loaded once per daemon and scoped in the kernel to registered sandbox
 * cgroups (and their descendants). Sandboxes register before their first process runs.
 *
 * <p>Objects (one per hook family, see src/main/bpf/README.md): exec and process lifecycle on
 * sched tracepoints; every syscall exit goes through syscall_monitor's dispatcher, which
 * tail-calls the file and network handlers registered in the shared prog array.
 */
public final class SandboxMonitor implements AutoCloseable {
    /** Objects loaded, in order; the first that declares a shared map creates it, the rest reuse it. */
    static final List<String> OBJECTS = List.of("exec_monitor", "process_monitor", "file_monitor", "net_monitor",
            "syscall_monitor");
    private static final List<String> SHARED_MAPS = List.of("events", "events_lost", "scope_config", "sandbox_cgroups",
            "syscall_handlers");
    private static final Duration POLL_INTERVAL = Duration.ofMillis(10);

    private final List<BpfObject> objects;
    private final BpfMap sandboxCgroups;
    private final BpfMap eventsLost;
    private final int possibleCpus;
    private final LibBpf libbpf;
    private final List<Integer> programFds;
    private final EventRingConsumer consumer;
    /** Loss counters read once more after the final drain, so they stay readable after close. */
    private long lostAtClose = -1;
    private long missesAtClose = -1;
    private boolean closed;

    private SandboxMonitor(LibBpf libbpf, List<BpfObject> objects, Map<String, BpfMap> shared,
                           EventRingConsumer consumer) {
        this.libbpf = libbpf;
        this.objects = objects;
        this.sandboxCgroups = shared.get("sandbox_cgroups");
        this.eventsLost = shared.get("events_lost");
        this.possibleCpus = PossibleCpus.count();
        this.consumer = consumer;
        List<Integer> fds = new ArrayList<>();
        for (BpfObject obj : objects) {
            for (String p : programsOf(obj.name())) {
                fds.add(obj.programFd(p));
            }
            for (String p : tailCalledOf(obj.name())) {
                fds.add(obj.programFd(p));
            }
        }
        this.programFds = List.copyOf(fds);
    }

    /** {@link #start(LibBpf, LibC, int, Consumer, EventRingConsumer.Kind)} with the mapped reader. */
    public static SandboxMonitor start(LibBpf libbpf, LibC libc, int sessionLevel, Consumer<KernelEvent> sink) {
        return start(libbpf, libc, sessionLevel, sink, EventRingConsumer.Kind.MAPPED);
    }

    /**
     * The monitor's objects loaded into the kernel (verified, maps created), nothing attached and
     * nothing reading: what {@link #start(Loaded, LibC, int, Consumer, EventRingConsumer.Kind)}
     * needs, made ahead of a session by a spare tether. Closing it unloads whatever no monitor took.
     */
    public static final class Loaded implements AutoCloseable {
        private final LibBpf libbpf;
        private final List<BpfObject> objects;
        private final Map<String, BpfMap> shared;
        private boolean taken;

        private Loaded(LibBpf libbpf, List<BpfObject> objects, Map<String, BpfMap> shared) {
            this.libbpf = libbpf;
            this.objects = objects;
            this.shared = shared;
        }

        private synchronized void take() {
            if (taken) {
                throw new IllegalStateException("these monitor objects already belong to a monitor");
            }
            taken = true;
        }

        @Override
        public synchronized void close() {
            if (!taken) {
                taken = true;
                for (BpfObject obj : objects.reversed()) {
                    obj.close();
                }
            }
        }
    }

    /** Loads every monitor object (the kernel verifies each program); attaches nothing. */
    public static Loaded load(LibBpf libbpf) {
        List<BpfObject> loaded = new ArrayList<>();
        try {
            Map<String, BpfMap> shared = new LinkedHashMap<>();
            for (String name : OBJECTS) {
                BpfObject obj = BpfObject.open(libbpf, name);
                loaded.add(obj);
                for (String m : SHARED_MAPS) {
                    if (shared.containsKey(m) && obj.hasMap(m)) {
                        obj.shareMap(m, shared.get(m));
                    }
                }
                // Loading file/net_monitor also fills their slots of the shared prog array.
                obj.load();
                for (String m : SHARED_MAPS) {
                    if (!shared.containsKey(m) && obj.hasMap(m)) {
                        shared.put(m, obj.map(m));
                    }
                }
            }
            return new Loaded(libbpf, List.copyOf(loaded), shared);
        } catch (RuntimeException e) {
            for (BpfObject obj : loaded.reversed()) {
                obj.close();
            }
            throw e;
        }
    }

    /**
     * Loads and attaches every monitor program and starts draining events into {@code sink}.
     *
     * @param sessionLevel cgroup2 level of session cgroups ({@link SandboxCgroup#sessionLevel})
     * @param sink called on the consumer thread for each event; must not block
     */
    public static SandboxMonitor start(LibBpf libbpf, LibC libc, int sessionLevel, Consumer<KernelEvent> sink,
                                       EventRingConsumer.Kind reader) {
        return start(load(libbpf), libc, sessionLevel, sink, reader);
    }

    /**
     * Starts the monitor on objects already loaded: the consumer first, then the programs
     * attached. On failure everything of {@code loaded} is detached and unloaded.
     */
    public static SandboxMonitor start(Loaded loaded, LibC libc, int sessionLevel, Consumer<KernelEvent> sink,
                                       EventRingConsumer.Kind reader) {
        loaded.take();
        List<BpfObject> objects = loaded.objects;
        Map<String, BpfMap> shared = loaded.shared;
        EventRingConsumer consumer = null;
        try {
            writeScopeLevel(shared.get("scope_config"), sessionLevel);
            BpfMap events = shared.get("events");
            KernelEventDecoder decoder = new KernelEventDecoder(libc.bootToWallOffsetNanos());
            long ringBytes = objects.getFirst().mapMaxEntries("events");
            consumer = switch (reader) {
                case MAPPED -> new MappedRingBufferConsumer(libc, events, ringBytes, decoder, sink, POLL_INTERVAL).start();
                case LIBBPF -> new RingBufferConsumer(loaded.libbpf, libc, events, decoder, sink, POLL_INTERVAL).start();
            };
            // Attach only once the consumer exists, so no event lands in a ring nobody reads; the
            // dispatcher last, once every handler it may tail-call is in place.
            for (BpfObject obj : objects) {
                for (String program : programsOf(obj.name())) {
                    obj.attach(program);
                }
            }
            return new SandboxMonitor(loaded.libbpf, objects, shared, consumer);
        } catch (RuntimeException e) {
            for (BpfObject obj : objects) {
                obj.detachAll();
            }
            if (consumer != null) {
                consumer.close();
            }
            for (BpfObject obj : objects.reversed()) {
                obj.close();
            }
            throw e;
        }
    }

    /** Programs of an object that are attached to their tracepoint. */
    static List<String> programsOf(String object) {
        return switch (object) {
            case "exec_monitor" -> List.of("handle_exec");
            case "process_monitor" -> List.of("handle_fork", "handle_exit");
            case "syscall_monitor" -> List.of("dispatch_sys_exit");
            case "file_monitor", "net_monitor" -> List.of();
            default -> throw new IllegalArgumentException("unknown monitor object " + object);
        };
    }

    /** Programs of an object reached only by tail call from the sys_exit dispatcher. */
    static List<String> tailCalledOf(String object) {
        return switch (object) {
            case "file_monitor" -> List.of("handle_file_syscall");
            case "net_monitor" -> List.of("handle_net_syscall");
            default -> List.of();
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
        register(cgroup.id(), slot);
    }

    /** {@link #register(SandboxCgroup, int)} by cgroup2 id. */
    public void register(long cgroupId, int slot) {
        sandboxCgroups.putLongToInt(cgroupId, slot);
    }

    public void unregister(SandboxCgroup cgroup) {
        unregister(cgroup.id());
    }

    public void unregister(long cgroupId) {
        sandboxCgroups.deleteLong(cgroupId);
    }

    /** Events the kernel could not put in the ring (ring full), summed over CPUs: measured, not estimated. */
    public synchronized long eventsLost() {
        return closed ? lostAtClose : eventsLost.sumPerCpuLong(0, possibleCpus);
    }

    /**
     * Times the kernel skipped one of the monitor programs because it was already running on that
     * CPU (recursion protection). Each is a possibly lost event of any task, in a sandbox or not;
     * none is expected from these tracepoints, so anything above 0 is reported as loss.
     */
    public synchronized long programMisses() {
        if (closed) {
            return missesAtClose;
        }
        long sum = 0;
        for (int fd : programFds) {
            sum += libbpf.programRecursionMisses(fd);
        }
        return sum;
    }

    public long eventsDelivered() {
        return consumer.delivered();
    }

    /** Events the sink threw on (delivered but not processed). */
    public long sinkFailures() {
        return consumer.sinkFailures();
    }

    /**
     * Detaches the programs, drains what the kernel already wrote to the sink, and unloads. The
     * loss counters keep their final values ({@link #eventsLost()}, {@link #programMisses()}).
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        // Detach first so nothing new is produced, then drain what is already in the ring.
        for (BpfObject obj : objects.reversed()) {
            obj.detachAll();
        }
        consumer.close();
        lostAtClose = eventsLost();
        missesAtClose = programMisses();
        closed = true;
        for (BpfObject obj : objects.reversed()) {
            obj.close();
        }
    }
}
