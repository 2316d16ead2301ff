package dev.tether.kernel.enforce;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tether.events.Event;
import dev.tether.events.Verdict;
import dev.tether.policy.Decision;
import dev.tether.policy.PolicyRef;
import dev.tether.kernel.cgroup.Cgroup2Hierarchy;
import dev.tether.kernel.cgroup.KernelFilesystems;
import dev.tether.kernel.cgroup.MountTable;
import dev.tether.kernel.ffm.LibBpf;
import dev.tether.kernel.ffm.LibC;
import dev.tether.kernel.ffm.NativeCallException;
import dev.tether.kernel.probe.KernelRelease;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The exec guard against the real kernel: a thread approved for a program and an argv runs it
 * with exactly that argv and is killed before its first instruction with any other. The cases
 * sit on the kernel's 8-byte comparison steps: a difference in the last byte of a partial step,
 * in a later step, stale bytes past the approved length, an argv longer than what is compared.
 */
class ExecGuardIT {
    private static LibC libc;
    private static LibBpf libbpf;
    private static Cgroup2Hierarchy hierarchy;
    private static Path cgroup;
    private static ExecGuard guard;
    private static FileKey echo;
    private static final List<Event> events = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void attach() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "the exec guard needs root (BPF); skipped");
        libc = LibC.load();
        libbpf = LibBpf.load();
        KernelFilesystems.ensureMounted(libc);
        hierarchy = Cgroup2Hierarchy.find(MountTable.read()).orElseThrow();
        cgroup = hierarchy.mountPoint().resolve("tether-exec-guard-it-" + ProcessHandle.current().pid());
        Files.createDirectories(cgroup);
        guard = ExecGuard.attach(libbpf, libc, hierarchy.levelOf(cgroup), events::add, "s1", "test");
        guard.arm(Cgroup2Hierarchy.idOf(cgroup));
        Path program = Path.of("/bin/echo").toRealPath();
        echo = new FileKey((Long) Files.getAttribute(program, "unix:dev"), (Long) Files.getAttribute(program, "unix:ino"));
    }

    @AfterAll
    static void detach() throws IOException {
        if (guard != null) {
            guard.close();
        }
        if (cgroup != null) {
            Files.deleteIfExists(cgroup);
        }
    }

    private record Outcome(int exit, String output) {}

    /**
     * A shell enters the armed cgroup and waits; the guard approves its thread for /bin/echo with
     * {@code approved} (null: no approval); then the shell execs /bin/echo with {@code actual}.
     */
    private static Outcome exec(List<String> approved, List<String> actual) throws Exception {
        return exec(guard, cgroup, approved, actual);
    }

    private static Outcome exec(ExecGuard guard, Path cgroup, List<String> approved, List<String> actual) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("sh", "-c", "echo $$ > \"$0\"; read go; exec \"$@\"",
                cgroup.resolve("cgroup.procs").toString()));
        cmd.add("/bin/echo");
        cmd.addAll(actual.subList(1, actual.size()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        int pid = (int) p.pid();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!Files.readAllLines(cgroup.resolve("cgroup.procs")).contains(Integer.toString(pid))) {
            assertThat(System.nanoTime()).as("the shell joins the cgroup").isLessThan(deadline);
            Thread.sleep(5);
        }
        if (approved != null) {
            guard.approve(pid, echo, approved);
        }
        try (OutputStream in = p.getOutputStream()) {
            in.write("go\n".getBytes(StandardCharsets.UTF_8));
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
        return new Outcome(p.exitValue(), out);
    }

    private static boolean argvKill(Event e) {
        return e.reason() != null && e.reason().contains("argv changed");
    }

    private static List<String> echoOf(String... args) {
        List<String> argv = new ArrayList<>(List.of("/bin/echo"));
        argv.addAll(List.of(args));
        return argv;
    }

    @Test
    void theApprovedArgvRuns() throws Exception {
        // "/bin/echo\0hello\0": 16 bytes, two whole steps; then 21 bytes, a partial third step.
        assertThat(exec(echoOf("hello"), echoOf("hello"))).isEqualTo(new Outcome(0, "hello"));
        assertThat(exec(echoOf("hello", "you"), echoOf("hello", "you"))).isEqualTo(new Outcome(0, "hello you"));
    }

    @Test
    void aDifferenceInTheLastByteIsCaught() throws Exception {
        // 21 bytes: the difference is in the 5th of the last step's 5 compared bytes.
        Outcome o = exec(echoOf("hello", "you"), echoOf("hello", "yoU"));
        assertThat(o.exit()).isEqualTo(137);
        assertThat(o.output()).isEmpty();
        // The kill's event comes through the guard's ring, polled every 100 ms.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (events.stream().noneMatch(ExecGuardIT::argvKill) && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(events).anyMatch(ExecGuardIT::argvKill);
    }

    @Test
    void aDifferenceInALaterStepIsCaught() throws Exception {
        assertThat(exec(echoOf("status", "--short", "--branch"), echoOf("status", "--short", "--brunch")).exit())
                .isEqualTo(137);
        assertThat(exec(echoOf("status", "--short"), echoOf("status", "--shirt")).exit()).isEqualTo(137);
    }

    @Test
    void bytesPastTheApprovedLengthAreNotCompared() throws Exception {
        // Leave different bytes behind on both sides: the approval's buffer holds A's argument,
        // the kernel's copy of the exec'd argv (per CPU) C's. A short argv that matches must run
        // although its last 8-byte step reaches into what each side left there.
        String a = "A".repeat(24);
        String c = "C".repeat(24);
        assertThat(exec(echoOf(a), echoOf(c)).exit()).isEqualTo(137);
        assertThat(exec(echoOf("ab"), echoOf("ab"))).isEqualTo(new Outcome(0, "ab"));
        assertThat(exec(echoOf("ab"), echoOf("ac")).exit()).isEqualTo(137);
    }

    @Test
    void aLengthDifferenceIsCaughtEvenWhenThePrefixMatches() throws Exception {
        assertThat(exec(echoOf("push"), echoOf("push", "--force")).exit()).isEqualTo(137);
        assertThat(exec(echoOf("push", "--force"), echoOf("push")).exit()).isEqualTo(137);
    }

    @Test
    void anArgvLongerThanTheComparedBytesRunsWhenItIsTheApprovedOne() throws Exception {
        String big = "x".repeat(ExecGuard.ARGV_BYTES + 100);
        Outcome o = exec(echoOf(big), echoOf(big));
        assertThat(o.exit()).isZero();
        assertThat(o.output()).isEqualTo(big);
        // Its end lies past what the kernel compares; its total length still differs.
        assertThat(exec(echoOf(big), echoOf(big + "y")).exit()).isEqualTo(137);
    }

    // ---- argv tables: the guard decides by the literals argv holds, with no approval per exec

    private static long generation = 1_000;

    /** echo under a table of {@code tokens}: refused when argv holds "push" (literal 0), allowed otherwise. */
    private static FileAccessJudge.ArgvTable refusingPush(List<String> tokens) {
        List<FileAccessJudge.Judgment> judgments = new ArrayList<>();
        PolicyRef forbid = new PolicyRef("no-push", "policy.cedar", 3, 1);
        for (int held = 0; held < 1 << tokens.size(); held++) {
            judgments.add((held & 1) != 0
                    ? new FileAccessJudge.Judgment(Verdict.DENY, new Decision(false, List.of(forbid), "denied by no-push"))
                    : new FileAccessJudge.Judgment(Verdict.ALLOW, new Decision(true, List.of(), "allowed")));
        }
        return new FileAccessJudge.ArgvTable("/bin/echo", tokens, judgments);
    }

    /** Runs {@code body} with echo's table in force, then voids it (the other tests approve per exec). */
    private static void withTable(FileAccessJudge.ArgvTable table, ThrowingRunnable body) throws Exception {
        long g = ++generation;
        guard.voidImages(g);
        assertThat(guard.approveArgvTable(echo, g, table)).isTrue();
        try {
            body.run();
        } finally {
            guard.voidImages(++generation);
        }
    }

    private interface ThrowingRunnable {
        void run() throws Exception;
    }

    private static Event awaitKill(String argvPart) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (System.nanoTime() < deadline) {
            for (Event e : events) {
                if (e.reason() != null && e.reason().contains("decided in the kernel") && e.detail() != null
                        && e.detail().toString().contains(argvPart)) {
                    return e;
                }
            }
            Thread.sleep(20);
        }
        throw new AssertionError("no kill event for " + argvPart + " in " + events);
    }

    @Test
    void anArgvTableRefusesTheLiteralsItDeniesWithoutAnyApproval() throws Exception {
        withTable(refusingPush(List.of("push", "--force")), () -> {
            assertThat(exec(null, echoOf("status", "--short"))).isEqualTo(new Outcome(0, "status --short"));
            assertThat(exec(null, echoOf("--force", "pushy", "xpush", "pus"))).isEqualTo(new Outcome(0, "--force pushy xpush pus"));
            assertThat(exec(null, echoOf())).isEqualTo(new Outcome(0, ""));
            assertThat(exec(null, echoOf("origin", "push")).exit()).isEqualTo(137);
            assertThat(exec(null, echoOf("push")).exit()).isEqualTo(137);
            assertThat(exec(null, echoOf("--force", "push", "")).exit()).isEqualTo(137);
            Event kill = awaitKill("origin");
            assertThat(kill.decision()).isEqualTo(Verdict.DENY);
            assertThat(kill.policies()).containsExactly("no-push");
            assertThat(kill.resource()).isEqualTo("/bin/echo");
            assertThat(kill.reason()).contains("argv holds [push] of [push, --force]");
        });
    }

    @Test
    void anArgvTableMatchesWholeArgumentsOnly() throws Exception {
        // argv[0] is never a literal's match; an empty literal matches an empty argument only.
        withTable(refusingPush(List.of("")), () -> {
            assertThat(exec(null, echoOf("a", "b"))).isEqualTo(new Outcome(0, "a b"));
            assertThat(exec(null, echoOf("a", "")).exit()).isEqualTo(137);
        });
        String longest = "p".repeat(FileAccessJudge.ARGV_TABLE_TOKEN_BYTES);
        withTable(refusingPush(List.of(longest)), () -> {
            assertThat(exec(null, echoOf(longest + "p")).exit()).isZero();
            assertThat(exec(null, echoOf(longest.substring(1))).exit()).isZero();
            assertThat(exec(null, echoOf("x", longest)).exit()).isEqualTo(137);
        });
    }

    @Test
    void anArgvLongerThanTheKernelReadsIsRefusedWhenWhatItCannotSeeCouldBeRefused() throws Exception {
        String big = "x".repeat(ExecGuard.ARGV_BYTES + 100);
        withTable(refusingPush(List.of("push")), () -> {
            assertThat(exec(null, echoOf("push", big)).exit()).isEqualTo(137);
            // "push" may lie in the unread part: refused, though it is not there.
            assertThat(exec(null, echoOf(big, "status")).exit()).isEqualTo(137);
        });
        // A table where nothing is refused lets any length run.
        List<FileAccessJudge.Judgment> allow = List.of(
                new FileAccessJudge.Judgment(Verdict.ALLOW, new Decision(true, List.of(), "allowed")),
                new FileAccessJudge.Judgment(Verdict.ALLOW, new Decision(true, List.of(), "allowed")));
        withTable(new FileAccessJudge.ArgvTable("/bin/echo", List.of("push"), allow), () ->
                assertThat(exec(null, echoOf(big, "push")).exit()).isZero());
    }

    @Test
    void aTableOfAnOlderGenerationDecidesNothing() throws Exception {
        long g = ++generation;
        guard.voidImages(g);
        assertThat(guard.approveArgvTable(echo, g, refusingPush(List.of("push")))).isTrue();
        guard.voidImages(++generation);
        // Void: the exec needs its own approval again, and has none.
        assertThat(exec(null, echoOf("status")).exit()).isEqualTo(137);
        assertThat(exec(echoOf("push"), echoOf("push"))).isEqualTo(new Outcome(0, "push"));
    }

    @Test
    void aFullTableMapRefusesAndClearingEmptiesIt() throws Exception {
        // The gate relies on a refusal here: it then drops every mark and approval and starts over.
        long g = ++generation;
        guard.voidImages(g);
        guard.clearImages(); // what other tests left, void by now
        FileAccessJudge.ArgvTable table = refusingPush(List.of("push"));
        int stored = 0;
        while (guard.approveArgvTable(new FileKey(0xfff, 1_000_000 + stored), g, table)) {
            stored++;
            assertThat(stored).as("exec_argv_rules holds 4,096 programs").isLessThanOrEqualTo(4_096);
        }
        assertThat(stored).isEqualTo(4_096);
        guard.clearImages();
        assertThat(guard.approveArgvTable(new FileKey(0xfff, 1), g, table)).isTrue();
        guard.voidImages(++generation);
        guard.clearImages();
    }

    // ---- the memory of the maps user space fills per exec and per program

    @Test
    void thePerExecMapsAreAllocatedOnDemandWhereTheKernelMakesThatSafe() {
        KernelRelease kernel = KernelRelease.running().orElseThrow();
        boolean onDemand = ExecGuard.allocatesOnDemand(kernel);
        System.out.println("ExecGuardIT: kernel " + kernel + ": exec_approvals and exec_argv_rules "
                + (onDemand ? "allocated per insert" : "preallocated (kernel before 6.1)"));
        for (String map : ExecGuard.ON_DEMAND_MAPS) {
            assertThat(guard.createdFlags(map) & LibBpf.BPF_F_NO_PREALLOC).as(map + " as the kernel created it")
                    .isEqualTo(onDemand ? LibBpf.BPF_F_NO_PREALLOC : 0);
        }
    }

    @Test
    void eitherAllocationJudgesAlikeAndRefusesAnApprovalPastTheTaskLimit() throws Exception {
        for (boolean preallocate : List.of(true, false)) {
            Path other = hierarchy.mountPoint().resolve("tether-exec-guard-it-" + ProcessHandle.current().pid() + "-" + preallocate);
            Files.createDirectories(other);
            try (ExecGuard g = ExecGuard.attach(libbpf, libc, hierarchy.levelOf(other), e -> { }, "s2", "test", preallocate)) {
                for (String map : ExecGuard.ON_DEMAND_MAPS) {
                    assertThat(g.createdFlags(map) & LibBpf.BPF_F_NO_PREALLOC).as(map)
                            .isEqualTo(preallocate ? 0 : LibBpf.BPF_F_NO_PREALLOC);
                }
                g.arm(Cgroup2Hierarchy.idOf(other));
                assertThat(exec(g, other, echoOf("hello"), echoOf("hello"))).isEqualTo(new Outcome(0, "hello"));
                assertThat(exec(g, other, echoOf("hello"), echoOf("hullo")).exit()).isEqualTo(137);
                assertThat(exec(g, other, null, echoOf("hello")).exit()).isEqualTo(137);
                // Threads that never exec (ids no process has): each approval stays until the map is full.
                int stored = 0;
                try {
                    while (stored <= 4_096) {
                        g.approve(0x4000_0000 + stored, echo, echoOf("x"));
                        stored++;
                    }
                } catch (NativeCallException full) {
                    assertThat(full.errno()).as("E2BIG, preallocate=" + preallocate).isEqualTo(7);
                }
                assertThat(stored).as("approvals held at once, preallocate=" + preallocate).isEqualTo(4_096);
            } finally {
                Files.deleteIfExists(other);
            }
        }
    }
}
