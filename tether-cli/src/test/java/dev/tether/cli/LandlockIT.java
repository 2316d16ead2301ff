package dev.tether.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tether.kernel.ffm.Landlock;
import dev.tether.kernel.ffm.LibC;
import dev.tether.kernel.ffm.NativeCallException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code tether run --lock} against the real kernel, as root, with both engines: the Landlock floor
 * lets through what the policy permits and refuses (EACCES) what it does not, even when the gate
 * is told to allow everything (permissive mode) or a reload widens the policy, and it is in place
 * from the command's first instruction (no_new_privs, a refused open) before tether could die.
 */
class LandlockIT {
    private static String minimalImage;

    @TempDir Path project;

    @BeforeAll
    static void rootLandlockAndImage() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "--lock tests need root (sandbox, fanotify)");
        try {
            new Landlock(LibC.load()).abi();
        } catch (NativeCallException e) {
            assumeTrue(false, "this kernel has no Landlock (" + e.getMessage() + "): --lock tests skipped");
        }
        if (Files.isExecutable(Path.of("/usr/bin/podman"))) {
            var r = TetherProcess.run(Path.of("."), Duration.ofMinutes(10), "image", "build", "--minimal");
            assertThat(r.exit()).as(r.stderr()).isZero();
            minimalImage = r.stdout().strip().lines().reduce((a, b) -> b).orElseThrow();
        }
    }

    /**
     * Read the system; read docs/, read-write src/, exec system binaries; notes.txt is in no permit.
     * Nothing above the project (a @TempDir under /tmp): a permit there would reach /workspace too.
     */
    private Path policy() throws Exception {
        Files.createDirectories(project.resolve("src"));
        Files.createDirectories(project.resolve("docs"));
        Files.writeString(project.resolve("docs/guide"), "guide\n");
        Files.writeString(project.resolve("notes.txt"), "notes\n");
        Path policy = project.resolve("policy.cedar");
        Files.writeString(policy, """
                permit (principal, action == Action::"FileOpenReadOnly", resource)
                when { resource in [Dir::"/usr/", Dir::"/lib/", Dir::"/lib64/", Dir::"/bin/", Dir::"/etc/", Dir::"/dev/",
                                    Dir::"/workspace/docs/"] };
                permit (principal, action in [Action::"FileOpenReadOnly", Action::"FileOpenReadWrite"], resource)
                when { resource in [Dir::"/workspace/src/", Dir::"/var/tmp/"] || resource == File::"/dev/null" };
                permit (principal, action == Action::"ProcessExec", resource)
                when { resource in [Dir::"/usr/bin/", Dir::"/bin/"] };
                """);
        return policy;
    }

    private List<String> engine(String engine) {
        if (engine.equals("podman")) {
            assumeTrue(minimalImage != null, "podman is not installed (/usr/bin/podman): podman tests skipped");
            return List.of("--engine", "podman", "--image", minimalImage);
        }
        return List.of("--engine", "builtin");
    }

    private TetherProcess.Result run(String engine, String script, String... extra) throws Exception {
        List<String> args = new ArrayList<>(List.of("run", "-q", "--no-ui", "--lock", "--policy", policy().toString()));
        args.addAll(engine(engine));
        args.addAll(List.of(extra));
        args.addAll(List.of("--", "sh", "-c", script));
        return TetherProcess.run(project, args.toArray(String[]::new));
    }

    @ParameterizedTest
    @ValueSource(strings = {"builtin", "podman"})
    void permittedWorksAndTheFloorRefusesWhatThePermissiveGateLetsThrough(String engine) throws Exception {
        var r = run(engine, String.join("; ",
                "cd /workspace",
                "cat docs/guide",                                    // read permit
                "echo made > src/new.txt && cat src/new.txt",         // read-write permit
                "mkdir src/sub && echo mkdir-ok",                     // directory change in a read-write permit
                "ls / >/dev/null 2>&1; echo ls-root=$?",                // listing / : in no read permit
                "cat notes.txt; echo notes=$?",                       // in no permit: the gate (permissive) allows, Landlock refuses
                "echo x > docs/guide; echo write-ro=$?",             // a read-only permit
                "grep NoNewPrivs /proc/self/status",
                "echo end"), "--mode", "permissive");
        assertThat(r.exit()).as(r.stderr()).isZero();
        assertThat(r.stdout()).contains("guide", "made", "mkdir-ok", "ls-root=2", "notes=1", "write-ro=2",
                "NoNewPrivs:\t1", "end").doesNotContain("notes\n");
        assertThat(r.stderr()).contains("tether: --lock: Landlock ABI").contains("notes.txt: Permission denied")
                .doesNotContain("granted at /\n")
                .contains("docs/guide: Permission denied");
        assertThat(Files.readString(project.resolve("src/new.txt"))).isEqualTo("made\n");
        assertThat(Files.readString(project.resolve("docs/guide"))).isEqualTo("guide\n");
        assertThat(Files.readString(project.resolve("notes.txt"))).isEqualTo("notes\n");
    }

    @Test
    void withoutLockThePermissiveGateLetsTheSameReadThrough() throws Exception {
        // The control for the test above: the refusal there is the floor's, not the gate's.
        var r = TetherProcess.run(project, "run", "-q", "--no-ui", "--policy", policy().toString(), "--engine", "builtin",
                "--mode", "permissive", "--", "cat", "/workspace/notes.txt");
        assertThat(r.exit()).as(r.stderr()).isZero();
        assertThat(r.stdout()).isEqualTo("notes\n");
    }

    @Test
    void aReloadThatWidensThePolicyIsReportedAndTheFloorStillDenies() throws Exception {
        Path policy = policy();
        Path log = project.resolve("tether");
        Process tether = TetherProcess.start(project, log, "run", "-q", "--no-ui", "--lock", "--policy", policy.toString(),
                "--engine", "builtin", "--events", project.resolve("events.jsonl").toString(), "--", "sh", "-c",
                "touch /workspace/src/ready; until [ -e /workspace/src/go ]; do sleep 0.05; done;"
                        + " cat /workspace/notes.txt; echo notes=$?");
        Path err = project.resolve("tether.err");
        waitFor(() -> Files.exists(project.resolve("src/ready")), tether);
        Files.writeString(policy, Files.readString(policy)
                + "permit (principal, action == Action::\"FileOpenReadOnly\", resource == File::\"/workspace/notes.txt\");\n");
        waitFor(() -> Files.readString(err).contains("policy reloaded"), tether);
        Files.writeString(project.resolve("src/go"), "");
        assertThat(tether.waitFor(60, TimeUnit.SECONDS)).isTrue();
        String stderr = Files.readString(err);
        String stdout = Files.readString(project.resolve("tether.out"));
        assertThat(stdout).isEqualTo("notes=1\n");
        assertThat(stderr).contains("tether: WARNING: policy generation 2 permits more than the --lock floor")
                .contains("Landlock still denies (EACCES): /workspace/notes.txt (read, list)")
                .contains("notes.txt: Permission denied");
        assertThat(Files.readString(project.resolve("events.jsonl"))).contains("\"EnforcementGap\"")
                .contains("/workspace/notes.txt (read, list)");
    }

    @Test
    void theFloorIsInPlaceBeforeTetherDiesAndTheSandboxStopsAfter() throws Exception {
        Path log = project.resolve("tether");
        Process tether = TetherProcess.start(project, log, "run", "-q", "--no-ui", "--lock", "--policy", policy().toString(),
                "--engine", "builtin", "--mode", "permissive", "--", "sh", "-c",
                "grep NoNewPrivs /proc/self/status > /workspace/src/nnp; echo $$ > /workspace/src/pid;"
                        + " while :; do cat /workspace/notes.txt >/dev/null 2>>/workspace/src/denied; sleep 0.05; done");
        waitFor(() -> Files.exists(project.resolve("src/denied")) && Files.size(project.resolve("src/denied")) > 0, tether);
        assertThat(Files.readString(project.resolve("src/nnp"))).isEqualTo("NoNewPrivs:\t1\n");
        assertThat(Files.readString(project.resolve("src/denied"))).contains("Permission denied");
        long sandboxShell = Long.parseLong(Files.readString(project.resolve("src/pid")).strip());
        tether.destroyForcibly(); // SIGKILL: no cleanup of its own
        assertThat(tether.waitFor(30, TimeUnit.SECONDS)).isTrue();
        // The sandbox's shell is pid 1.. in its namespace; find it by its files going quiet instead:
        long size = Files.size(project.resolve("src/denied"));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        boolean stopped = false;
        while (System.nanoTime() < deadline && !stopped) {
            Thread.sleep(500);
            long now = Files.size(project.resolve("src/denied"));
            stopped = now == size;
            size = now;
        }
        assertThat(stopped).as("the sandbox (shell %d inside) stops once tether is gone", sandboxShell).isTrue();
        assertThat(Files.readString(project.resolve("src/denied")).lines()).allMatch(l -> l.contains("Permission denied"));
    }

    @Test
    void monitorOnlyAndLockContradict() throws Exception {
        var r = TetherProcess.run(project, "run", "--no-ui", "--lock", "--monitor-only", "--engine", "builtin", "--", "true");
        assertThat(r.exit()).isNotZero();
        assertThat(r.stderr()).contains("--lock puts a Landlock floor under a policy");
    }

    interface Check {
        boolean holds() throws Exception;
    }

    private static void waitFor(Check c, Process tether) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!c.holds()) {
            assertThat(tether.isAlive()).as("tether exited early").isTrue();
            assertThat(System.nanoTime()).as("timed out").isLessThan(deadline);
            Thread.sleep(50);
        }
    }
}
