package dev.tether.kernel.enforce;

import dev.tether.events.Event;
import dev.tether.events.EventKind;
import dev.tether.events.EventLayer;
import dev.tether.events.Verdict;
import dev.tether.kernel.bpf.BpfMap;
import dev.tether.kernel.bpf.BpfObject;
import dev.tether.kernel.bpf.LibbpfRingPoller;
import dev.tether.kernel.ffm.LibBpf;
import dev.tether.kernel.ffm.LibC;
import dev.tether.kernel.probe.KernelRelease;
import java.io.ByteArrayOutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;

/**
 * The kernel half of exec enforcement (exec_guard.bpf.c): for every exec the fanotify gate
 * approves, the program's identity and the argv the new image must have; at sched_process_exec
 * the guard compares and SIGKILLs the new image before its first instruction when they differ or
 * when no approval exists (an exec the gate never saw).
 */
public final class ExecGuard implements AutoCloseable {
    static final int ARGV_BYTES = 8192;
    private static final long APPROVAL_BYTES = 8 + 8 + 4 + 4 + ARGV_BYTES;
    private static final long SYSCALL_BYTES = 8 * 6 + 4 + 4 + 16; // struct gate_syscall
    private static final int RULE_TOKEN_BYTES = 64;
    private static final int RULE_LEN = 16;
    private static final int RULE_DENY = RULE_LEN + FileAccessJudge.ARGV_TABLE_TOKENS;
    private static final int RULE_TOKEN = RULE_DENY + (1 << FileAccessJudge.ARGV_TABLE_TOKENS) / 8;
    private static final long ARGV_RULE_BYTES = RULE_TOKEN + FileAccessJudge.ARGV_TABLE_TOKENS * RULE_TOKEN_BYTES; // struct exec_argv_rule
    private static final int EVENT_BYTES = 64 + 256; // struct exec_guard_event

    private final BpfObject object;
    private final BpfMap approvals;
    private final Consumer<Event> sink;
    private final String sessionId;
    private final String principal;
    private final long bootToWall;
    private final LibbpfRingPoller events;
    private final BpfMap syscalls;
    // The permission gate's thread only (approve, syscallOf): reused, not allocated per exec.
    private final Arena buffers = Arena.ofAuto();
    private final MemorySegment approvalKey = buffers.allocate(ValueLayout.JAVA_INT);
    private final MemorySegment approval = buffers.allocate(APPROVAL_BYTES, 8);
    private final MemorySegment syscallKey = buffers.allocate(ValueLayout.JAVA_INT);
    private final MemorySegment syscall = buffers.allocate(SYSCALL_BYTES, 8);
    private final MemorySegment imageKey = buffers.allocate(16, 8);
    private final MemorySegment imageValue = buffers.allocate(ValueLayout.JAVA_LONG);
    private final BpfMap images;
    private final BpfMap imageGeneration;
    private final BpfMap argvRules;
    private final MemorySegment argvRule = buffers.allocate(ARGV_RULE_BYTES, 8);
    /** The tables behind exec_argv_rules, by kernel image identity: what a kill by one of them reports. */
    private final java.util.concurrent.ConcurrentHashMap<KernelImage, FileAccessJudge.ArgvTable> argvTables =
            new java.util.concurrent.ConcurrentHashMap<>();

    /** A program as the kernel names it: superblock device (MKDEV) and inode. */
    private record KernelImage(long dev, long ino) {}

    private ExecGuard(LibBpf libbpf, LibC libc, BpfObject object, Consumer<Event> sink, String sessionId, String principal) {
        this.object = object;
        this.approvals = object.map("exec_approvals");
        this.syscalls = object.map("gate_syscalls");
        this.images = object.map("exec_images");
        this.imageGeneration = object.map("exec_image_generation");
        this.argvRules = object.map("exec_argv_rules");
        this.sink = sink;
        this.sessionId = sessionId;
        this.principal = principal;
        this.bootToWall = libc.bootToWallOffsetNanos();
        this.events = new LibbpfRingPoller(libbpf, libc, object.map("exec_guard_events"), "tether-exec-guard-" + sessionId,
                Duration.ofMillis(100), this::onRecord);
    }

    /**
     * Loads and attaches the guard for session cgroups at cgroup2 level {@code sessionLevel}; it
     * checks nothing until {@link #arm} names the session's cgroup.
     */
    public static ExecGuard attach(LibBpf libbpf, LibC libc, int sessionLevel, Consumer<Event> sink,
                                   String sessionId, String principal) {
        // An unreadable release: preallocated, which every kernel accepts.
        return attach(libbpf, libc, sessionLevel, sink, sessionId, principal,
                !KernelRelease.running().map(ExecGuard::allocatesOnDemand).orElse(false));
    }

    /**
     * Whether the maps user space fills per exec and per program ({@code exec_approvals},
     * {@code exec_argv_rules}) are created as declared, allocated per insert: from kernel 6.1 the
     * BPF memory allocator makes that safe in tracepoint programs; older kernels accept it with a
     * warning in their log (a refusal on PREEMPT_RT), so there they are preallocated.
     */
    static boolean allocatesOnDemand(KernelRelease kernel) {
        return kernel.atLeast(6, 1);
    }

    static final List<String> ON_DEMAND_MAPS = List.of("exec_approvals", "exec_argv_rules");

    static ExecGuard attach(LibBpf libbpf, LibC libc, int sessionLevel, Consumer<Event> sink,
                            String sessionId, String principal, boolean preallocate) {
        return attach(load(libbpf, preallocate), libbpf, libc, sessionLevel, sink, sessionId, principal);
    }

    /**
     * The guard's object loaded into the kernel (verified, maps created as this kernel allows),
     * nothing attached: a spare tether loads it ahead of its session.
     */
    public static BpfObject load(LibBpf libbpf) {
        return load(libbpf, !KernelRelease.running().map(ExecGuard::allocatesOnDemand).orElse(false));
    }

    private static BpfObject load(LibBpf libbpf, boolean preallocate) {
        BpfObject opened = BpfObject.open(libbpf, "exec_guard");
        if (preallocate) {
            ON_DEMAND_MAPS.forEach(opened::preallocate);
        }
        try {
            return opened.load();
        } catch (RuntimeException e) {
            opened.close();
            throw e;
        }
    }

    /** Attaches the guard on an object {@link #load} made; on failure the object is closed. */
    public static ExecGuard attach(BpfObject loaded, LibBpf libbpf, LibC libc, int sessionLevel, Consumer<Event> sink,
                                   String sessionId, String principal) {
        BpfObject obj = loaded;
        try {
            if (!obj.name().equals("exec_guard")) {
                throw new IllegalArgumentException("not the exec guard's object: " + obj.name());
            }
            try (Arena a = Arena.ofConfined()) {
                obj.map("scope_config").put(a.allocateFrom(ValueLayout.JAVA_INT, 0), a.allocateFrom(ValueLayout.JAVA_INT, sessionLevel));
            }
            ExecGuard g = new ExecGuard(libbpf, libc, obj, sink, sessionId, principal);
            // Removal before recording: no thread may enter a syscall recorded and leave it unseen.
            obj.attach("forget_exited_thread");
            obj.attach("forget_gate_syscall");
            obj.attach("note_gate_syscall");
            obj.attach("guard_exec");
            g.events.start();
            return g;
        } catch (RuntimeException e) {
            obj.close();
            throw e;
        }
    }

    /**
     * From now on every exec in the cgroup {@code cgroupId} (and below) must have been approved.
     * Called once the permission gate watches the sandbox's mounts and before the command runs;
     * what a container engine execs while building the sandbox happens before and is not judged.
     */
    public void arm(long cgroupId) {
        object.map("sandbox_cgroups").putLongToInt(cgroupId, 1);
    }

    /** The BPF_F_* flags the kernel created map {@code mapName} of this guard with. */
    int createdFlags(String mapName) {
        return object.map(mapName).createdFlags();
    }

    /** Records that thread {@code tid} may turn into {@code program} with exactly {@code argv}. */
    public void approve(int tid, FileKey program, List<String> argv) {
        byte[] bytes = joined(argv);
        MemorySegment v = approval;
        v.set(ValueLayout.JAVA_LONG, 0, kernelDev(program.device()));
        v.set(ValueLayout.JAVA_LONG, 8, program.inode());
        int len = Math.min(bytes.length, ARGV_BYTES);
        v.set(ValueLayout.JAVA_INT, 16, bytes.length);
        v.set(ValueLayout.JAVA_INT, 20, len);
        MemorySegment.copy(bytes, 0, v, ValueLayout.JAVA_BYTE, 24, len);
        // Bytes past len are compared by nobody (the kernel stops at len); stale ones are harmless.
        approvalKey.set(ValueLayout.JAVA_INT, 0, tid);
        approvals.put(approvalKey, v);
    }

    /**
     * The open or exec syscall thread {@code tid} of a sandbox is in, as recorded at its entry;
     * null when the map has none (not such a syscall, an ia32 call, an io_uring worker): then ask
     * {@code /proc}. Only for a thread that is blocked in a permission event (its entry cannot change).
     */
    public ThreadSyscall.Recorded syscallOf(int tid) {
        syscallKey.set(ValueLayout.JAVA_INT, 0, tid);
        if (!syscalls.get(syscallKey, syscall)) {
            return null;
        }
        ThreadSyscall call = new ThreadSyscall(syscall.get(ValueLayout.JAVA_LONG, 0), syscall.get(ValueLayout.JAVA_LONG, 8),
                syscall.get(ValueLayout.JAVA_LONG, 16), syscall.get(ValueLayout.JAVA_LONG, 24),
                syscall.get(ValueLayout.JAVA_LONG, 32), syscall.get(ValueLayout.JAVA_LONG, 40));
        int n = 0;
        while (n < 16 && syscall.get(ValueLayout.JAVA_BYTE, 56 + n) != 0) {
            n++;
        }
        byte[] comm = new byte[n];
        MemorySegment.copy(syscall, ValueLayout.JAVA_BYTE, 56, comm, 0, n);
        return new ThreadSyscall.Recorded(call, syscall.get(ValueLayout.JAVA_INT, 48), syscall.get(ValueLayout.JAVA_INT, 52),
                new String(comm, StandardCharsets.UTF_8));
    }

    /**
     * Records that {@code program} may run with any argv under image generation {@code generation}
     * (see {@link #voidImages}); its exec then needs no per-thread approval. False when the map
     * refused it (full): its execs must then still reach the permission gate.
     */
    public boolean approveImage(FileKey program, long generation) {
        imageKey.set(ValueLayout.JAVA_LONG, 0, kernelDev(program.device()));
        imageKey.set(ValueLayout.JAVA_LONG, 8, program.inode());
        imageValue.set(ValueLayout.JAVA_LONG, 0, generation);
        return put(images, imageValue);
    }

    /**
     * Records that the guard decides execs of {@code program} under image generation
     * {@code generation} itself, from {@code table}: it kills the new image when the literals its
     * argv holds are refused. False when the map refused it (see {@link #approveImage}).
     */
    public boolean approveArgvTable(FileKey program, long generation, FileAccessJudge.ArgvTable table) {
        MemorySegment v = argvRule;
        v.fill((byte) 0);
        v.set(ValueLayout.JAVA_LONG, 0, generation);
        v.set(ValueLayout.JAVA_INT, 8, table.tokens().size());
        for (int j = 0; j < table.tokens().size(); j++) {
            byte[] t = table.tokens().get(j).getBytes(StandardCharsets.UTF_8);
            if (t.length >= RULE_TOKEN_BYTES) {
                throw new IllegalArgumentException("literal too long for the kernel: " + table.tokens().get(j));
            }
            v.set(ValueLayout.JAVA_BYTE, RULE_LEN + j, (byte) t.length);
            MemorySegment.copy(t, 0, v, ValueLayout.JAVA_BYTE, RULE_TOKEN + (long) j * RULE_TOKEN_BYTES, t.length);
        }
        for (int held = 0; held < table.judgments().size(); held++) {
            if (table.judgments().get(held).blocks()) {
                long at = RULE_DENY + held / 8;
                v.set(ValueLayout.JAVA_BYTE, at, (byte) (v.get(ValueLayout.JAVA_BYTE, at) | 1 << (held % 8)));
            }
        }
        long dev = kernelDev(program.device());
        imageKey.set(ValueLayout.JAVA_LONG, 0, dev);
        imageKey.set(ValueLayout.JAVA_LONG, 8, program.inode());
        if (argvTables.size() > 16_384) {
            argvTables.clear(); // tables of programs long since voided; a kill without one still reports itself
        }
        argvTables.put(new KernelImage(dev, program.inode()), table);
        return put(argvRules, v);
    }

    private boolean put(BpfMap map, MemorySegment value) {
        try {
            map.put(imageKey, value);
            return true;
        } catch (dev.tether.kernel.ffm.NativeCallException full) {
            return false; // full, most likely of programs approved under older generations: see clearImages
        }
    }

    /**
     * Empties both image maps. Only after {@link #voidImages} moved to a generation no entry has
     * and the ignore marks that relied on them are gone: a program whose entry is removed while
     * its mark still skips its exec events would be killed.
     */
    public void clearImages() {
        clearMap(images);
        clearMap(argvRules);
    }

    private void clearMap(BpfMap map) {
        MemorySegment next = buffers.allocate(16, 8);
        while (map.libbpf().mapNextKey(map.fd(), MemorySegment.NULL, next)) {
            map.delete(next);
        }
    }

    /**
     * Makes every image approved so far void: from now on only approvals under {@code generation}
     * count. Called when the policy or mode changes, before execs are judged under the new one.
     * The map is also emptied when it fills up with old entries.
     */
    public void voidImages(long generation) {
        try (Arena a = Arena.ofConfined()) {
            imageGeneration.put(a.allocateFrom(ValueLayout.JAVA_INT, 0), a.allocateFrom(ValueLayout.JAVA_LONG, generation));
        }
    }

    /** argv as the kernel lays it out in the new image: each argument followed by a NUL. */
    static byte[] joined(List<String> argv) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (String s : argv) {
            out.writeBytes(s.getBytes(StandardCharsets.UTF_8));
            out.write(0);
        }
        return out.toByteArray();
    }

    /** st_dev as glibc encodes it → the kernel's MKDEV (major << 20 | minor), as in struct super_block. */
    static long kernelDev(long userDev) {
        long major = ((userDev >>> 8) & 0xfff) | ((userDev >>> 32) & ~0xfffL);
        long minor = (userDev & 0xff) | ((userDev >>> 12) & ~0xffL);
        return (major << 20) | minor;
    }

    /** One kill the kernel made, as an event. */
    private void onRecord(MemorySegment r) {
        long size = r.byteSize();
        if (size < 24) {
            return;
        }
        long bootNs = r.get(ValueLayout.JAVA_LONG_UNALIGNED, 0);
        int pid = r.get(ValueLayout.JAVA_INT_UNALIGNED, 8);
        int oldTid = r.get(ValueLayout.JAVA_INT_UNALIGNED, 12);
        int reason = r.get(ValueLayout.JAVA_INT_UNALIGNED, 16);
        long dev = size >= 56 ? r.get(ValueLayout.JAVA_LONG_UNALIGNED, 24) : 0;
        long ino = size >= 56 ? r.get(ValueLayout.JAVA_LONG_UNALIGNED, 32) : 0;
        long approvedDev = size >= 56 ? r.get(ValueLayout.JAVA_LONG_UNALIGNED, 40) : 0;
        long approvedIno = size >= 56 ? r.get(ValueLayout.JAVA_LONG_UNALIGNED, 48) : 0;
        int held = r.get(ValueLayout.JAVA_INT_UNALIGNED, 20);
        List<String> argv = size >= EVENT_BYTES ? argvOf(r) : null;
        String image = " (image " + (dev >>> 20) + ":" + (dev & 0xfffff) + " inode " + ino + ")";
        FileAccessJudge.ArgvTable table = reason == 4 ? argvTables.get(new KernelImage(dev, ino)) : null;
        List<String> policies = List.of();
        String resource = null;
        String why = switch (reason) {
            case 1 -> "killed: an exec the permission gate never saw or approved (a memfd, an unwatched mount, an ELF"
                    + " loader run directly)" + image;
            case 2 -> "killed: the new image is not the program that was approved" + image + ", approved "
                    + (approvedDev >>> 20) + ":" + (approvedDev & 0xfffff) + " inode " + approvedIno;
            case 3 -> "killed: argv changed between approval and exec (another thread rewrote it)";
            default -> "killed by the exec guard's argv rule" + image;
        };
        if (table != null && held >= 0 && held < table.judgments().size()) {
            FileAccessJudge.Judgment j = table.judgments().get(held);
            policies = j.policyIds();
            resource = table.path();
            List<String> holds = new java.util.ArrayList<>();
            for (int t = 0; t < table.tokens().size(); t++) {
                if ((held & 1 << t) != 0) {
                    holds.add(table.tokens().get(t));
                }
            }
            why = "killed before it ran (decided in the kernel: argv holds " + holds + " of " + table.tokens() + "): "
                    + withRealArguments(j.decision().reason(), holds, argv);
        }
        var e = Event.builder(EventKind.PROCESS_EXEC)
                .timeNs(bootNs + bootToWall)
                .session(sessionId)
                .principal(principal)
                .layer(EventLayer.KERNEL)
                .decision(Verdict.DENY, policies, why)
                .process(pid, 0, oldTid);
        if (resource != null) {
            e.resource(resource);
        }
        if (argv != null) {
            e.detail(new dev.tether.events.ExecDetail(argv));
        }
        sink.accept(e.build());
    }

    /**
     * The table's judgment names the exec it was computed for (the program and the literals, in
     * table order); the audit names the one that happened: its own arguments instead.
     */
    private static String withRealArguments(String reason, List<String> holds, List<String> argv) {
        String computed = " " + String.join(" ", holds);
        if (holds.isEmpty() || argv == null || argv.size() < 2 || !reason.endsWith(computed)) {
            return reason;
        }
        return reason.substring(0, reason.length() - computed.length()) + " " + String.join(" ", argv.subList(1, argv.size()));
    }

    /** The refused image's argv as the event carries it (its first 256 bytes; a cut argument ends in "..."). */
    private static List<String> argvOf(MemorySegment r) {
        int total = r.get(ValueLayout.JAVA_INT_UNALIGNED, 56);
        int len = Math.min(r.get(ValueLayout.JAVA_INT_UNALIGNED, 60), 256);
        byte[] bytes = new byte[len];
        MemorySegment.copy(r, ValueLayout.JAVA_BYTE, 64, bytes, 0, len);
        List<String> argv = new java.util.ArrayList<>();
        int from = 0;
        for (int i = 0; i < len; i++) {
            if (bytes[i] == 0) {
                argv.add(dev.tether.kernel.event.ByteStrings.decode(bytes, from, i - from));
                from = i + 1;
            }
        }
        if (from < len || total > len) {
            argv.add(dev.tether.kernel.event.ByteStrings.decode(bytes, from, len - from) + "...");
        }
        return argv;
    }

    @Override
    public void close() {
        object.detachAll();
        events.close();
        object.close();
    }
}
