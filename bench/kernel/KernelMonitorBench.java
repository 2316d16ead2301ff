import dev.tether.events.Event;
import dev.tether.kernel.bpf.EventRingConsumer;
import dev.tether.kernel.bpf.SandboxMonitor;
import dev.tether.kernel.cgroup.Cgroup2Hierarchy;
import dev.tether.kernel.cgroup.KernelFilesystems;
import dev.tether.kernel.cgroup.MountTable;
import dev.tether.kernel.cgroup.SandboxCgroup;
import dev.tether.kernel.event.KernelEvent;
import dev.tether.kernel.event.KernelEventMapper;
import dev.tether.kernel.ffm.LibBpf;
import dev.tether.kernel.ffm.LibC;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The kernel monitor's costs, each against a baseline measured in the same invocation
 * (bench/kernel/run.sh builds and runs it as root; see BENCHMARKS.md, "Kernel monitoring").
 *
 * <ol>
 *   <li>per operation: open+close, getppid (not reported: the tax on every syscall) and
 *       fork+exec+wait loops in a session cgroup without any monitor
 *       loaded (baseline), with the monitor loaded and the cgroup registered (inside), and with it
 *       loaded but the loop outside every registered cgroup (outside); rounds alternate;</li>
 *   <li>throughput: two open loops in a registered cgroup as fast as they go, for each ring
 *       reader (mapped, libbpf upcalls) and each sink (decode only; decode and map to an audit
 *       Event): events/s delivered, events lost, consumer CPU per event;</li>
 *   <li>a real build inside the cgroup: wall clock without and with the monitor.</li>
 * </ol>
 *
 * Usage: java -cp tether.jar KernelMonitorBench.java LOOP_BINARY [rounds] ["build command line"...]
 * ({@code BENCH_PARTS=ops,throughput,build} selects parts; default all).
 */
public class KernelMonitorBench {
    private static final Pattern P50 = Pattern.compile("p50=(\\d+)");
    private static final long SETTLE_MS = 1000;

    public static void main(String[] args) throws Exception {
        Path loop = Path.of(args[0]).toAbsolutePath();
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        // Each further argument is one build command line (split on spaces).
        List<List<String>> builds = new ArrayList<>();
        for (int i = 2; i < args.length; i++) {
            if (!args[i].isBlank()) {
                builds.add(List.of(args[i].strip().split("\\s+")));
            }
        }
        LibC libc = LibC.load();
        LibBpf libbpf = LibBpf.load();
        KernelFilesystems.ensureMounted(libc);
        Cgroup2Hierarchy cgroups = Cgroup2Hierarchy.find(MountTable.read()).orElseThrow();
        Path parent = cgroups.mountPoint().resolve("tether-bench");
        int level = cgroups.levelOf(parent.resolve("x"));
        System.out.printf("kernel %s, %d CPUs, %s%n", System.getProperty("os.version"),
                Runtime.getRuntime().availableProcessors(), cpuModel());

        String parts = System.getenv().getOrDefault("BENCH_PARTS", "ops,throughput,build");
        try (SandboxCgroup in = cgroup(cgroups, parent, "inside"); SandboxCgroup out = cgroup(cgroups, parent, "outside")) {
            if (parts.contains("ops")) {
                perOperation(libbpf, libc, level, loop, rounds, in, out);
            }
            if (parts.contains("throughput")) {
                throughput(libbpf, libc, level, loop, in, "openfail", "/nonexistent-tether-bench/x");
                throughput(libbpf, libc, level, loop, in, "open", "/etc/hostname");
            }
            if (parts.contains("build")) {
                for (List<String> build : builds) {
                    buildOverhead(libbpf, libc, level, build, rounds, in);
                }
            }
        }
    }

    private static SandboxCgroup cgroup(Cgroup2Hierarchy h, Path parent, String name) throws Exception {
        Path dir = parent.resolve(name + "-" + ProcessHandle.current().pid());
        Files.createDirectories(dir);
        return SandboxCgroup.adopt(h, dir);
    }

    /** Runs command with its first instruction in cgroup; returns stdout. */
    private static String runIn(SandboxCgroup cg, List<String> command) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("sh", "-c", "echo $$ > \"$0\" && exec \"$@\"", cg.procsFile().toString()));
        cmd.addAll(command);
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String stdout = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(30, TimeUnit.MINUTES) || p.exitValue() != 0) {
            throw new IllegalStateException(command + " failed: " + stdout);
        }
        return stdout;
    }

    private static long p50(String loopOutput) {
        Matcher m = P50.matcher(loopOutput);
        if (!m.find()) {
            throw new IllegalStateException("no p50 in " + loopOutput);
        }
        return Long.parseLong(m.group(1));
    }

    private static long median(List<Long> xs) {
        long[] a = xs.stream().mapToLong(Long::longValue).sorted().toArray();
        return a[a.length / 2];
    }

    private static SandboxMonitor start(LibBpf libbpf, LibC libc, int level, Consumer<KernelEvent> sink,
                                        EventRingConsumer.Kind kind) {
        return SandboxMonitor.start(libbpf, libc, level, sink, kind);
    }

    // ---- 1. per operation ------------------------------------------------------------------

    private static void perOperation(LibBpf libbpf, LibC libc, int level, Path loop, int rounds,
                                     SandboxCgroup in, SandboxCgroup out) throws Exception {
        String[][] ops = {{"open", "400000", "/etc/hostname"}, {"getppid", "2000000", "-"}, {"exec", "3000", "/bin/true"}};
        for (String[] op : ops) {
            List<Long> base = new ArrayList<>();
            List<Long> inside = new ArrayList<>();
            List<Long> outside = new ArrayList<>();
            List<Long> startMs = new ArrayList<>();
            List<Long> closeMs = new ArrayList<>();
            List<String> cmd = List.of(loop.toString(), op[0], op[1], op[2]);
            for (int r = 0; r < rounds; r++) {
                base.add(p50(runIn(in, cmd)));
                LongAdder seen = new LongAdder();
                long t0 = System.nanoTime();
                SandboxMonitor m = start(libbpf, libc, level, e -> seen.increment(), EventRingConsumer.Kind.MAPPED);
                startMs.add((System.nanoTime() - t0) / 1_000_000);
                try {
                    m.register(in.id(), 1);
                    inside.add(p50(runIn(in, cmd)));
                    outside.add(p50(runIn(out, cmd)));
                } finally {
                    long t1 = System.nanoTime();
                    m.close();
                    closeMs.add((System.nanoTime() - t1) / 1_000_000);
                }
                if (m.eventsLost() != 0) {
                    System.out.println("  (lost " + m.eventsLost() + " events in round " + r + ")");
                }
            }
            long b = median(base);
            long i = median(inside);
            long o = median(outside);
            System.out.printf(Locale.ROOT, "%s x%s, p50 per operation (median of %d rounds):%n", op[0], op[1], rounds);
            System.out.printf(Locale.ROOT, "  no monitor       %8d ns%n", b);
            System.out.printf(Locale.ROOT, "  inside sandbox   %8d ns   %+6d ns  ratio %.3f%n", i, i - b, (double) i / b);
            System.out.printf(Locale.ROOT, "  outside sandbox  %8d ns   %+6d ns  ratio %.3f%n", o, o - b, (double) o / b);
            System.out.printf(Locale.ROOT, "  rounds: base %s inside %s outside %s%n", base, inside, outside);
            System.out.printf(Locale.ROOT, "  monitor load+attach %s ms, detach+drain+unload %s ms%n", startMs, closeMs);
        }
    }

    // ---- 2. throughput ---------------------------------------------------------------------

    private static void throughput(LibBpf libbpf, LibC libc, int level, Path loop, SandboxCgroup in, String mode,
                                   String path) throws Exception {
        int perLoop = 3_000_000;
        int loops = 2;
        System.out.printf(Locale.ROOT, "throughput: %d loops x %d '%s %s' in one sandbox, as fast as they go%n",
                loops, perLoop, mode, path);
        for (EventRingConsumer.Kind kind : EventRingConsumer.Kind.values()) {
            for (boolean map : new boolean[] {false, true}) {
                LongAdder delivered = new LongAdder();
                KernelEventMapper mapper = new KernelEventMapper(s -> new KernelEventMapper.Attribution("bench", "bench"));
                long[] sinkHash = new long[1];
                Consumer<KernelEvent> sink = map
                        ? e -> {
                            Event ev = mapper.map(e);
                            sinkHash[0] += ev.timeNs();
                            delivered.increment();
                        }
                        : e -> delivered.increment();
                try (SandboxMonitor m = start(libbpf, libc, level, sink, kind)) {
                    m.register(in.id(), 1);
                    Thread consumer = Thread.getAllStackTraces().keySet().stream()
                            .filter(t -> t.getName().equals("tether-kernel-events")).findFirst().orElseThrow();
                    var mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
                    long cpu0 = mx.getThreadCpuTime(consumer.threadId());
                    long t0 = System.nanoTime();
                    List<Process> ps = new ArrayList<>();
                    for (int i = 0; i < loops; i++) {
                        List<String> cmd = new ArrayList<>(List.of("sh", "-c", "echo $$ > \"$0\" && exec \"$@\"",
                                in.procsFile().toString(), loop.toString(), mode, String.valueOf(perLoop), path));
                        ps.add(new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD).start());
                    }
                    for (Process p : ps) {
                        p.waitFor();
                    }
                    long produced = (long) loops * (perLoop + 2); // exec + opens + exit per loop
                    while (delivered.sum() + m.eventsLost() < produced && System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(60)) {
                        Thread.sleep(5);
                    }
                    double secs = (System.nanoTime() - t0) / 1e9;
                    long cpu = mx.getThreadCpuTime(consumer.threadId()) - cpu0;
                    long got = delivered.sum();
                    System.out.printf(Locale.ROOT,
                            "  %-6s %-12s %9d delivered, %7d lost (%.2f%%), %.2f s, %,10.0f events/s, consumer %5.0f ns CPU/event (capacity %,.0f/s)%n",
                            kind.name().toLowerCase(Locale.ROOT), map ? "decode+map" : "decode", got, m.eventsLost(),
                            100.0 * m.eventsLost() / produced, secs, got / secs, (double) cpu / got, got * 1e9 / cpu);
                }
            }
        }
    }

    // ---- 3. a real build -------------------------------------------------------------------

    private static void buildOverhead(LibBpf libbpf, LibC libc, int level, List<String> build, int rounds,
                                      SandboxCgroup in) throws Exception {
        System.out.printf(Locale.ROOT, "build: %s, %d rounds each, alternating%n", String.join(" ", build), rounds);
        List<Long> base = new ArrayList<>();
        List<Long> monitored = new ArrayList<>();
        List<Long> baseCpu = new ArrayList<>();
        List<Long> monitoredCpu = new ArrayList<>();
        List<Long> events = new ArrayList<>();
        runIn(in, build); // warm caches once
        for (int r = 0; r < rounds; r++) {
            Thread.sleep(SETTLE_MS);
            long[] run = timedRun(in, build);
            base.add(run[0]);
            baseCpu.add(run[1]);
            LongAdder seen = new LongAdder();
            try (SandboxMonitor m = start(libbpf, libc, level, e -> seen.increment(), EventRingConsumer.Kind.MAPPED)) {
                m.register(in.id(), 1);
                // Let the JVM finish compiling the consumer's code, so the build is timed against
                // the monitor, not against this process's JIT threads on a 2-CPU host.
                Thread.sleep(SETTLE_MS);
                run = timedRun(in, build);
                monitored.add(run[0]);
                monitoredCpu.add(run[1]);
                events.add(seen.sum());
            }
        }
        System.out.printf(Locale.ROOT, "  wall clock: no monitor %6d ms, monitored %6d ms (medians): %+.2f%%; median per-pair difference %+.2f%%%n",
                median(base), median(monitored), pct(median(monitored), median(base)), medianPairPct(monitored, base));
        System.out.printf(Locale.ROOT, "  CPU time of the build's cgroup: no monitor %6d ms, monitored %6d ms (medians): %+.2f%%; median per-pair difference %+.2f%%%n",
                median(baseCpu), median(monitoredCpu), pct(median(monitoredCpu), median(baseCpu)),
                medianPairPct(monitoredCpu, baseCpu));
        System.out.printf(Locale.ROOT, "  events per monitored build %s%n", events);
        System.out.printf(Locale.ROOT, "  rounds (wall ms): base %s monitored %s%n", base, monitored);
        System.out.printf(Locale.ROOT, "  rounds (CPU ms):  base %s monitored %s%n", baseCpu, monitoredCpu);
    }

    /** Wall-clock ms and the cgroup's CPU ms (cpu.stat usage_usec: everything the build ran). */
    private static long[] timedRun(SandboxCgroup cg, List<String> command) throws Exception {
        long cpu0 = cpuUsec(cg);
        long t0 = System.nanoTime();
        runIn(cg, command);
        return new long[] {(System.nanoTime() - t0) / 1_000_000, (cpuUsec(cg) - cpu0) / 1000};
    }

    private static long cpuUsec(SandboxCgroup cg) throws Exception {
        for (String line : Files.readAllLines(cg.dir().resolve("cpu.stat"))) {
            if (line.startsWith("usage_usec ")) {
                return Long.parseLong(line.substring("usage_usec ".length()).strip());
            }
        }
        throw new IllegalStateException("no usage_usec in " + cg.dir().resolve("cpu.stat"));
    }

    private static double pct(long x, long base) {
        return 100.0 * (x - base) / base;
    }

    private static double medianPairPct(List<Long> xs, List<Long> bases) {
        List<Long> bp = new ArrayList<>();
        for (int i = 0; i < xs.size(); i++) {
            bp.add(Math.round(10_000.0 * (xs.get(i) - bases.get(i)) / bases.get(i)));
        }
        return median(bp) / 100.0;
    }

    private static String cpuModel() {
        try {
            return Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                    .findFirst().map(l -> l.substring(l.indexOf(':') + 1).strip()).orElse("?");
        } catch (Exception e) {
            return "?";
        }
    }
}
