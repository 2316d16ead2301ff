package dev.tether.kernel.enforce;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tether.events.Event;
import dev.tether.kernel.cgroup.Cgroup2Hierarchy;
import dev.tether.kernel.cgroup.KernelFilesystems;
import dev.tether.kernel.cgroup.MountTable;
import dev.tether.kernel.ffm.LibBpf;
import dev.tether.kernel.ffm.LibC;
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
    private static Path cgroup;
    private static ExecGuard guard;
    private static FileKey echo;
    private static final List<Event> events = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void attach() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "the exec guard needs root (BPF); skipped");
        libc = LibC.load();
        LibBpf libbpf = LibBpf.load();
        KernelFilesystems.ensureMounted(libc);
        Cgroup2Hierarchy hierarchy = Cgroup2Hierarchy.find(MountTable.read()).orElseThrow();
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
     * {@code approved}; then the shell execs /bin/echo with {@code actual}.
     */
    private static Outcome exec(List<String> approved, List<String> actual) throws Exception {
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
        guard.approve(pid, echo, approved);
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
}
