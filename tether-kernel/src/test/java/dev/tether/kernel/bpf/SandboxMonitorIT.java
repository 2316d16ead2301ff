package dev.tether.kernel.bpf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tether.events.Event;
import dev.tether.events.EventFlag;
import dev.tether.events.EventKind;
import dev.tether.events.ExecDetail;
import dev.tether.events.ExitDetail;
import dev.tether.events.FileDetail;
import dev.tether.events.ForkDetail;
import dev.tether.events.KernelText;
import dev.tether.events.NetworkDetail;
import dev.tether.kernel.cgroup.Cgroup2Hierarchy;
import dev.tether.kernel.cgroup.KernelFilesystems;
import dev.tether.kernel.cgroup.MountTable;
import dev.tether.kernel.event.ExitEvent;
import dev.tether.kernel.event.FileEvent;
import dev.tether.kernel.event.KernelEvent;
import dev.tether.kernel.event.KernelEventMapper;
import dev.tether.kernel.event.MalformedEvent;
import dev.tether.kernel.ffm.LibBpf;
import dev.tether.kernel.ffm.LibC;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The monitors in the running kernel, as root: a static workload runs in a cgroup the test
 * registers, and the events that reach Java are compared with what the workload did, syscall by
 * syscall. Processes outside produce nothing; a flood of over a million events is fully accounted
 * for (delivered + counted as lost); bad names, deep paths, huge argv, a 32-bit syscall and a
 * process killed inside a syscall are recorded faithfully.
 */
class SandboxMonitorIT {
    private static final int SLOT = 7;
    private static LibC libc;
    private static LibBpf libbpf;
    private static Cgroup2Hierarchy cgroups;
    private static Path workload;
    private static SandboxMonitor monitor;
    private static final ConcurrentLinkedQueue<KernelEvent> events = new ConcurrentLinkedQueue<>();
    private static final AtomicLong floodPathEvents = new AtomicLong();
    private static volatile String floodPath = "";

    @TempDir Path dir;

    @BeforeAll
    static void startMonitor() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")),
                "kernel integration tests need root (BPF, cgroups); not root here, so they are skipped");
        libc = LibC.load();
        libbpf = LibBpf.load();
        KernelFilesystems.ensureMounted(libc);
        cgroups = Cgroup2Hierarchy.find(MountTable.read()).orElseThrow();
        workload = MonitorWorkload.build();
        monitor = SandboxMonitor.start(libbpf, libc, cgroups.levelOf(cgroups.mountPoint().resolve(TestCgroup.PARENT)
                .resolve("x")), SandboxMonitorIT::collect);
    }

    /** Keeps every event but the flood's opens, which are only counted (a million records). */
    private static void collect(KernelEvent e) {
        if (e instanceof FileEvent f && f.path().raw() != null && f.path().raw().text().equals(floodPath)) {
            floodPathEvents.incrementAndGet();
            return;
        }
        events.add(e);
    }

    @AfterAll
    static void stopMonitor() {
        if (monitor != null) {
            monitor.close();
        }
    }

    private static List<KernelEvent> eventsOf(long pid) {
        return events.stream().filter(e -> e.header().pid() == pid).toList();
    }

    /** Waits until the process's exit event arrived: everything it did before is in by then. */
    private static void awaitExit(long pid) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadline) {
            if (events.stream().anyMatch(e -> e instanceof ExitEvent && e.header().pid() == pid)) {
                return;
            }
            Thread.sleep(10);
        }
        throw new AssertionError("no exit event for pid " + pid + " within 20 s");
    }

    private static List<Event> mapped(long pid) {
        KernelEventMapper mapper = new KernelEventMapper(s -> new KernelEventMapper.Attribution("it", "test"));
        return eventsOf(pid).stream().map(mapper::map).toList();
    }

    /** One line per event with the fields the script's expectations are written in (long runs shortened). */
    private static String describe(Event e) {
        return shorten(describeFully(e));
    }

    private static String shorten(String s) {
        return s.replaceAll("d{250}", "<d*250>").replaceAll("f{10,}", "<f*>");
    }

    private static String describeFully(Event e) {
        StringBuilder b = new StringBuilder(e.kind().jsonName());
        if (e.resource() != null) {
            b.append(' ').append(e.resource());
        }
        if (e.errno() != null && e.errno() != 0) {
            b.append(" errno=").append(e.errno());
        }
        switch (e.detail()) {
            case FileDetail f -> {
                if (f.target() != null) {
                    b.append(" -> ").append(f.target());
                }
                if (f.mode() != null) {
                    b.append(" mode=").append(Integer.toOctalString(f.mode()));
                }
                if (f.uid() != null) {
                    b.append(" owner=").append(f.uid()).append(':').append(f.gid());
                }
            }
            case NetworkDetail n -> b.append(' ').append(n.protocol() == null ? "-" : n.protocol().jsonName());
            case ExecDetail x -> b.append(" argc=").append(x.argc()).append(" cwd=").append(x.cwd());
            case ExitDetail x -> b.append(" exit=").append(x.exitCode()).append(" signal=").append(x.signal());
            case ForkDetail f -> b.append(" child");
            case null, default -> { }
        }
        return b.toString();
    }

    /** A spare loads the objects long before its session: they start one monitor, once; unused, they unload. */
    @Test
    void objectsLoadedAheadStartOneMonitorOnce() {
        int level = cgroups.levelOf(cgroups.mountPoint().resolve(TestCgroup.PARENT).resolve("x"));
        SandboxMonitor.Loaded unused = SandboxMonitor.load(libbpf);
        unused.close();
        unused.close(); // idempotent
        SandboxMonitor.Loaded loaded = SandboxMonitor.load(libbpf);
        try (SandboxMonitor second = SandboxMonitor.start(loaded, libc, level, e -> { }, EventRingConsumer.Kind.MAPPED)) {
            assertThat(second.eventsLost()).isZero();
            org.assertj.core.api.Assertions.assertThatThrownBy(
                            () -> SandboxMonitor.start(loaded, libc, level, e -> { }, EventRingConsumer.Kind.MAPPED))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("already belong to a monitor");
            loaded.close(); // the monitor owns them now: closing the handle unloads nothing
            assertThat(second.eventsLost()).isZero();
        }
    }

    @Test
    void theScriptedWorkloadProducesExactlyTheExpectedEvents() throws Exception {
        String d = dir.toRealPath().toString();
        try (TestCgroup cg = TestCgroup.create(cgroups, "script");
             ServerSocket listener = new ServerSocket(0, 4, java.net.InetAddress.getLoopbackAddress())) {
            monitor.register(cg.id(), SLOT);
            int port = listener.getLocalPort();
            TestCgroup.Run run = cg.run(List.of(workload.toString(), "script", d, String.valueOf(port)));
            assertThat(run.exit()).as(run.stdout()).isZero();
            awaitExit(run.pid());
            List<String> out = run.stdout().lines().toList();
            String deep = out.get(0);
            int v6Port = Integer.parseInt(out.get(1));
            int v6ClientPort = Integer.parseInt(out.get(2));

            List<Event> mine = mapped(run.pid());
            List<String> expected = new ArrayList<>(List.of(
                    "ProcessExec " + workload + " argc=4 cwd=" + Path.of("").toRealPath(),
                    "FileOpenReadWrite " + d + "/a.txt mode=640",
                    "FileOpenReadOnly " + d,
                    "FileOpenReadOnly " + d + "/a.txt",
                    "FileRename " + d + "/a.txt -> " + d + "/b.txt",
                    "FileOpenReadOnly " + d + "/missing.txt errno=2",
                    "FileMkdir " + d + "/sub mode=750",
                    "FileSymlink " + d + "/sub/link -> ../b.txt",
                    "FileOpenReadOnly " + d + "/b.txt -> sub/link",
                    "FileLink " + d + "/b.txt -> " + d + "/hard.txt",
                    "FileChmod " + d + "/b.txt mode=600",
                    "FileChown " + d + "/b.txt owner=0:0",
                    "FileOpenReadOnly " + d + "/b.txt",
                    "FileChmod " + d + "/b.txt mode=644",
                    "FileUnlink " + d + "/hard.txt",
                    "FileUnlink " + d + "/sub/link",
                    "FileRmdir " + d + "/sub",
                    "FileOpenReadWrite " + d + "/bad\n\\xff.txt mode=600",
                    "FileUnlink " + d + "/bad\n\\xff.txt"));
            String parent = deep.substring(0, deep.lastIndexOf('/'));
            for (int end = d.length() + 251; end <= parent.length(); end += 251) {
                expected.add("FileMkdir " + parent.substring(0, end) + " mode=700");
            }
            expected.add("FileOpenReadWrite " + deep + " mode=600");
            expected.add("FileUnlink " + deep);
            String tooLong = deep + "/too-long-for-the-kernel";
            expected.add("FileOpenReadOnly " + tooLong.substring(0, 4096) + " errno=36");
            expected.addAll(List.of(
                    "ProcessFork child",
                    "NetworkConnect 127.0.0.1:" + port + " tcp",
                    "NetworkBind [::1]:0 tcp",
                    "NetworkListen [::1]:" + v6Port + " tcp",
                    "NetworkConnect [::1]:" + v6Port + " tcp",
                    "NetworkAccept [::1]:" + v6ClientPort + " tcp",
                    "NetworkSendTo [::1]:9 udp",
                    "NetworkBind " + d + "/s.sock unix_stream",
                    "NetworkListen " + d + "/s.sock unix_stream",
                    "NetworkConnect " + d + "/s.sock unix_stream",
                    "NetworkAccept " + d + "/s.sock unix_stream",
                    "FileUnlink " + d + "/s.sock",
                    "NetworkConnect @tether-none errno=111 unix_stream",
                    "NetworkSendTo 127.0.0.1:9 udp",
                    "ProcessExit exit=0 signal=0"));
            assertThat(mine.stream().map(SandboxMonitorIT::describe).toList())
                    .containsExactlyElementsOf(expected.stream().map(SandboxMonitorIT::shorten).toList());

            // Header fields, faithfulness flags and the child.
            Event exec = mine.getFirst();
            assertThat(exec.pid()).isEqualTo(run.pid());
            assertThat(exec.tid()).isEqualTo(run.pid());
            assertThat(exec.comm()).isEqualTo("monitor_workloa");
            assertThat(exec.exe()).isEqualTo(workload.toString());
            assertThat(((ExecDetail) exec.detail()).argv()).containsExactly(workload.toString(), "script", d,
                    String.valueOf(port));
            assertThat(((ExecDetail) exec.detail()).uid()).isZero();
            Event bad = mine.stream().filter(e -> e.resource() != null && e.resource().contains("bad")).findFirst().orElseThrow();
            assertThat(bad.has(EventFlag.RESOURCE_ESCAPED)).isTrue();
            assertThat(KernelText.unescape(bad.resource())).endsWith(new byte[] {'b', 'a', 'd', '\n', (byte) 0xff, '.', 't', 'x', 't'});
            Event deepOpen = mine.stream().filter(e -> deep.equals(e.resource())).findFirst().orElseThrow();
            assertThat(deep).hasSizeGreaterThan(4000);
            assertThat(deepOpen.flags()).isEmpty();
            Event tooLongOpen = mine.stream().filter(e -> e.errno() != null && e.errno() == 36).findFirst().orElseThrow();
            assertThat(tooLongOpen.has(EventFlag.RESOURCE_TRUNCATED)).isTrue();
            Event openedFile = mine.stream().filter(e -> e.kind() == EventKind.FILE_OPEN_READ_WRITE).findFirst().orElseThrow();
            assertThat(openedFile.cgroupId()).isEqualTo(cg.id());
            assertThat(openedFile.exe()).isEqualTo(workload.toString());

            int childPid = ((ForkDetail) mine.stream().filter(e -> e.kind() == EventKind.PROCESS_FORK).findFirst()
                    .orElseThrow().detail()).childPid();
            awaitExit(childPid);
            List<Event> child = mapped(childPid);
            assertThat(child.stream().map(SandboxMonitorIT::describe).toList()).containsExactly(
                    "ProcessExec /proc/self/exe argc=5003 cwd=" + d,
                    "ProcessExit exit=3 signal=0");
            Event childExec = child.getFirst();
            assertThat(childExec.ppid()).isEqualTo(run.pid());
            assertThat(childExec.exe()).as("the resolved executable").isEqualTo(workload.toString());
            assertThat(childExec.has(EventFlag.ARGV_TRUNCATED)).isTrue();
            List<String> argv = ((ExecDetail) childExec.detail()).argv();
            assertThat(argv.subList(0, 4)).containsExactly("/proc/self/exe", "child", "two words", "ab");
            assertThat(argv).hasSizeLessThan(5003).hasSizeGreaterThan(2000);
            assertThat(String.join("\0", argv).length()).isLessThanOrEqualTo(8192);
            monitor.unregister(cg.id());
        }
        assertThat(events).noneMatch(e -> e instanceof MalformedEvent);
    }

    @Test
    void processesOutsideTheSandboxProduceNoEvents() throws Exception {
        Path inside = Files.writeString(dir.resolve("inside-marker"), "x");
        Path outside = Files.writeString(dir.resolve("outside-marker"), "x");
        try (TestCgroup cg = TestCgroup.create(cgroups, "scope");
             TestCgroup unregistered = TestCgroup.create(cgroups, "unregistered")) {
            monitor.register(cg.id(), SLOT);
            Process hostProcess = new ProcessBuilder(workload.toString(), "loop", "20000", outside.toString()).start();
            Process siblingCgroup = unregistered.start(List.of(workload.toString(), "loop", "20000", outside.toString()));
            TestCgroup.Run run = cg.run(List.of(workload.toString(), "loop", "1000", inside.toString()));
            assertThat(hostProcess.waitFor()).isZero();
            assertThat(siblingCgroup.waitFor()).isZero();
            awaitExit(run.pid());
            Thread.sleep(50);
            Predicate<KernelEvent> opensInside = e -> e instanceof FileEvent f && f.path().raw() != null
                    && f.path().raw().text().equals(inside.toString());
            assertThat(events.stream().filter(opensInside).count()).isEqualTo(1000);
            assertThat(events).noneMatch(e -> e.header().pid() == hostProcess.pid() || e.header().pid() == siblingCgroup.pid());
            assertThat(events).noneMatch(e -> e instanceof FileEvent f && f.path().raw() != null
                    && f.path().raw().text().equals(outside.toString()));
            monitor.unregister(cg.id());
        }
    }

    @Test
    void aFloodOfOverAMillionEventsIsDeliveredOrCountedAsLost() throws Exception {
        Path target = Files.writeString(dir.resolve("flood-target"), "x");
        int n = 1_200_000;
        try (TestCgroup cg = TestCgroup.create(cgroups, "flood")) {
            monitor.register(cg.id(), SLOT);
            floodPath = target.toString();
            floodPathEvents.set(0);
            long lostBefore = monitor.eventsLost();
            long missesBefore = monitor.programMisses();
            long start = System.nanoTime();
            TestCgroup.Run run = cg.run(List.of(workload.toString(), "loop", String.valueOf(n), target.toString()));
            assertThat(run.exit()).isZero();
            // Its exit event may itself be among the lost; wait for the ring to drain instead.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            long delivered;
            long lost;
            do {
                Thread.sleep(50);
                delivered = floodPathEvents.get() + eventsOf(run.pid()).size();
                lost = monitor.eventsLost() - lostBefore;
            } while (delivered + lost < n + 2L && System.nanoTime() < deadline);
            double seconds = (System.nanoTime() - start) / 1e9;
            System.out.printf("flood: %d opens in %.2f s; %d events delivered, %d lost, %.0f events/s%n",
                    n, seconds, delivered, lost, delivered / seconds);
            // exec + n opens + exit, each either delivered or counted; nothing skipped unseen.
            assertThat(delivered + lost).isEqualTo(n + 2L);
            assertThat(monitor.programMisses() - missesBefore).isZero();
            monitor.unregister(cg.id());
        } finally {
            floodPath = "";
        }
    }

    @Test
    void aProcessKilledInsideASyscallIsRecordedAndTheConsumerCarriesOn() throws Exception {
        Path fifo = dir.resolve("fifo");
        libc.mkfifo(fifo.toString(), 0600);
        try (TestCgroup cg = TestCgroup.create(cgroups, "killed")) {
            monitor.register(cg.id(), SLOT);
            Process p = cg.start(List.of(workload.toString(), "block", fifo.toString()));
            // The exec event says it runs; give it time to block in open(2).
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (eventsOf(p.pid()).isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            Thread.sleep(200);
            p.destroyForcibly();
            p.waitFor();
            awaitExit(p.pid());
            List<Event> mine = mapped(p.pid());
            assertThat(mine.stream().map(SandboxMonitorIT::describe).toList()).containsExactly(
                    "ProcessExec " + workload + " argc=3 cwd=" + Path.of("").toRealPath(),
                    // open(2) interrupted by the kill: ERESTARTSYS, which no process ever sees
                    "FileOpenReadOnly " + fifo + " errno=512",
                    "ProcessExit exit=0 signal=9");
            monitor.unregister(cg.id());
        }
        // The consumer is still alive: another process's events still arrive.
        try (TestCgroup cg = TestCgroup.create(cgroups, "after-kill")) {
            monitor.register(cg.id(), SLOT);
            TestCgroup.Run run = cg.run(List.of("/bin/true"));
            awaitExit(run.pid());
            monitor.unregister(cg.id());
        }
    }

    @Test
    void a32BitSyscallIsSeenAndMarked() throws Exception {
        try (TestCgroup cg = TestCgroup.create(cgroups, "compat")) {
            monitor.register(cg.id(), SLOT);
            TestCgroup.Run run = cg.run(List.of(workload.toString(), "compat"));
            assumeTrue(run.exit() != 128 + 11 && run.exit() != 128 + 4,
                    "this kernel has no ia32 syscall emulation (int $0x80 faulted), so there are no 32-bit callers to watch");
            assertThat(run.exit()).isZero();
            awaitExit(run.pid());
            FileEvent open = eventsOf(run.pid()).stream().filter(FileEvent.class::isInstance).map(FileEvent.class::cast)
                    .findFirst().orElseThrow();
            assertThat(open.compat()).isTrue();
            assertThat(open.syscall()).isEqualTo(5);
            assertThat(open.path().objectPath().text()).isEqualTo("/etc/hostname");
            assertThat(open.result()).isNotNegative();
            monitor.unregister(cg.id());
        }
    }

    @Test
    void theLibbpfConsumerDeliversTheSameEvents() throws Exception {
        Path target = Files.writeString(dir.resolve("libbpf-target"), "x");
        ConcurrentLinkedQueue<KernelEvent> seen = new ConcurrentLinkedQueue<>();
        try (SandboxMonitor viaLibbpf = SandboxMonitor.start(libbpf, libc, cgroups.levelOf(cgroups.mountPoint()
                .resolve(TestCgroup.PARENT).resolve("x")), seen::add, EventRingConsumer.Kind.LIBBPF);
             TestCgroup cg = TestCgroup.create(cgroups, "libbpf")) {
            viaLibbpf.register(cg.id(), 1);
            TestCgroup.Run run = cg.run(List.of(workload.toString(), "loop", "5000", target.toString()));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (seen.stream().noneMatch(e -> e instanceof ExitEvent && e.header().pid() == run.pid())
                    && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertThat(seen.stream().filter(e -> e.header().pid() == run.pid()).count()).isEqualTo(5002);
            assertThat(viaLibbpf.eventsLost()).isZero();
        }
    }
}
