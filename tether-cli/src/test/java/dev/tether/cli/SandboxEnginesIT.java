package dev.tether.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The sandbox engines for real, as root, through tether.jar: podman (with a small image that
 * {@code tether image build --minimal} makes from the Debian mirror) and the built-in engine pass
 * the same tests: the project in /workspace, environment, exit codes, a terminal, the network
 * namespace (egress works, the host's own services do not answer), cleanup after kill -9 of
 * tether, and two sandboxes at once with their own principals and addresses.
 */
class SandboxEnginesIT {
    private static final Path CGROUP_PARENT = Path.of("/sys/fs/cgroup/unified/tether");
    static String minimalImage;

    @TempDir Path project;

    @BeforeAll
    static void buildSmallImage() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "sandbox engine tests need root (cgroups, namespaces, podman)");
        if (Files.isExecutable(Path.of("/usr/bin/podman")) || dockerRuns()) {
            // Imported into every engine that runs here (podman and docker), under one reference.
            var r = TetherProcess.run(Path.of("."), Duration.ofMinutes(10), "image", "build", "--minimal");
            assertThat(r.exit()).as(r.stderr()).isZero();
            minimalImage = r.stdout().strip().lines().reduce((a, b) -> b).orElseThrow();
        }
    }

    /** Engine options for {@code engine}; skips podman only where podman is not installed. */
    private List<String> engine(String engine) {
        // Engine tests: the project's starter policy is enforced by default, which would deny the
        // network and image paths these tests exercise; permissive mode keeps every layer running
        // (and recording) without blocking. EnforcementIT tests the blocking.
        if (engine.equals("podman")) {
            assumeTrue(Files.isExecutable(Path.of("/usr/bin/podman")), "podman is not installed (/usr/bin/podman): podman tests skipped");
            return List.of("--engine", "podman", "--image", minimalImage, "--mode", "permissive");
        }
        if (engine.equals("docker")) {
            assumeTrue(dockerRuns(), "no docker daemon runs here (/var/run/docker.sock): docker tests skipped");
            return List.of("--engine", "docker", "--image", minimalImage, "--mode", "permissive");
        }
        return List.of("--engine", "builtin", "--mode", "permissive");
    }

    static boolean dockerRuns() {
        return Files.exists(Path.of("/var/run/docker.sock"));
    }

    private TetherProcess.Result tether(String engine, String... rest) throws Exception {
        List<String> args = new ArrayList<>(List.of("run"));
        args.addAll(engine(engine));
        args.addAll(List.of(rest));
        return TetherProcess.run(project, Duration.ofMinutes(2), args.toArray(String[]::new));
    }

    private static String session(String stderr) {
        return stderr.lines().filter(l -> l.startsWith("tether: session ")).findFirst().orElseThrow()
                .substring("tether: session ".length()).split(" ")[0];
    }

    @ParameterizedTest
    @ValueSource(strings = {"podman", "docker", "builtin"})
    void workspaceEnvironmentAndExitCode(String engine) throws Exception {
        Path events = project.resolve("events.jsonl");
        var r = tether(engine, "--events", events.toString(), "-e", "GREETING=hello there", "-e", "PATH", "-q", "--",
                "sh", "-c", "echo \"$GREETING\" > /workspace/from-sandbox.txt; echo same > " + project + "/own-path.txt;"
                        + " /bin/echo exec-marker; echo \"session=$TETHER_SESSION\"; exit 7");
        assertThat(r.exit()).as(r.stderr()).isEqualTo(7);
        assertThat(Files.readString(project.resolve("from-sandbox.txt"))).isEqualTo("hello there\n");
        assertThat(Files.readString(project.resolve("own-path.txt"))).isEqualTo("same\n");
        assertThat(r.stdout()).contains("exec-marker").contains("session=" + session(r.stderr()));
        // The exec inside the sandbox (container included) was seen by the BPF monitor.
        assertThat(Files.readString(events)).contains("\"action\":\"ProcessExec\",\"resource\":\"/bin/echo\"").contains("exec-marker");
        assertThat(r.stderr()).contains("(" + engine + ", principal Agent::\"sh\")");
        assertNothingLeft(session(r.stderr()));
    }

    @ParameterizedTest
    @ValueSource(strings = {"podman", "docker", "builtin"})
    void aTerminalWithItsSizeAndCtrlC(String engine) throws Exception {
        // script(1) gives tether a pseudo-terminal of 40x120; Ctrl-C is typed into it.
        String cmd = "stty rows 40 cols 120; exec " + String.join(" ", TetherProcess.command()) + " run "
                + String.join(" ", engine(engine)) + " -q -- sh -c '"
                + "[ -t 0 ] && [ -t 1 ] && echo IS-A-TERMINAL; stty size; trap \"echo got-sigint; exit 42\" INT; echo ready; while :; do sleep 0.1; done'";
        Process p = new ProcessBuilder("script", "-qfec", cmd, "/dev/null").directory(project.toFile())
                .redirectErrorStream(true).start();
        StringBuilder out = new StringBuilder();
        CompletableFuture<Void> reader = CompletableFuture.runAsync(() -> {
            try {
                byte[] buf = new byte[4096];
                int n;
                while ((n = p.getInputStream().read(buf)) > 0) {
                    synchronized (out) {
                        out.append(new String(buf, 0, n, StandardCharsets.UTF_8));
                    }
                }
            } catch (IOException e) {
                // closed
            }
        });
        OutputStream keys = p.getOutputStream();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!snapshot(out).contains("ready") && System.nanoTime() < deadline && p.isAlive()) {
            Thread.sleep(50);
        }
        assertThat(snapshot(out)).as("sandbox output").contains("ready");
        Thread.sleep(300);
        keys.write(3); // Ctrl-C
        keys.flush();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).as(snapshot(out)).isTrue();
        reader.join();
        String text = snapshot(out);
        assertThat(text).contains("IS-A-TERMINAL").contains("40 120");
        if (!engine.equals("builtin")) {
            // podman/docker -t: the command has a terminal of its own and gets the SIGINT.
            assertThat(text).contains("got-sigint");
            assertThat(p.exitValue()).as(text).isEqualTo(42);
        } else {
            // bwrap shares tether's terminal: Ctrl-C stops the whole sandbox (bwrap's own monitor
            // is in the foreground process group too), see docs/sandbox.md.
            assertThat(p.exitValue()).as(text).isEqualTo(130);
        }
    }

    private static String snapshot(StringBuilder b) {
        synchronized (b) {
            return b.toString();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"podman", "docker", "builtin"})
    void egressWorksButTheHostsOwnServicesDoNotAnswer(String engine) throws Exception {
        try (ServerSocket loopback = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
             ServerSocket wildcard = new ServerSocket()) {
            wildcard.bind(new InetSocketAddress(0));
            String script = "gw=$(sed -n 's/^nameserver //p' /etc/resolv.conf);"
                    + " if timeout 3 bash -c 'echo x > /dev/tcp/127.0.0.1/" + loopback.getLocalPort() + "' 2>/dev/null; then echo LOOPBACK-OPEN; fi;"
                    + " if timeout 3 bash -c \"echo x > /dev/tcp/$gw/" + wildcard.getLocalPort() + "\" 2>/dev/null; then echo HOST-OPEN; fi;"
                    + " getent hosts deb.debian.org >/dev/null && echo DNS-OK;"
                    + " if timeout 10 bash -c 'exec 3<>/dev/tcp/deb.debian.org/80; printf \"HEAD /debian/ HTTP/1.0\\r\\nHost: deb.debian.org\\r\\n\\r\\n\" >&3; head -c 12 <&3'; then echo; echo EGRESS-DONE; fi";
            var r = tether(engine, "-q", "--", "bash", "-c", script);
            assertThat(r.exit()).as(r.stderr()).isZero();
            assertThat(r.stdout()).contains("DNS-OK").contains("HTTP/1.").contains("EGRESS-DONE")
                    .doesNotContain("LOOPBACK-OPEN").doesNotContain("HOST-OPEN");
        }
    }

    /**
     * With dockerd on the host (its FORWARD chains, and policy DROP when it turned forwarding on
     * itself), every engine's sandbox is let through DOCKER-USER for as long as it runs, and the
     * rules go with the session.
     */
    @ParameterizedTest
    @ValueSource(strings = {"podman", "docker", "builtin"})
    void withDockerOnTheHostTheSessionIsLetThroughDockerUser(String engine) throws Exception {
        List<String> options = engine(engine);
        assumeTrue(dockerRuns(), "no docker daemon runs here: nothing of docker's to cooperate with");
        String script = "echo $TETHER_SESSION > /workspace/id; while [ ! -e /workspace/go ]; do sleep 0.1; done;"
                + " getent hosts deb.debian.org >/dev/null && echo DNS-OK";
        List<String> args = new ArrayList<>(List.of("run"));
        args.addAll(options);
        args.addAll(List.of("-q", "--", "sh", "-c", script));
        var run = CompletableFuture.supplyAsync(() -> {
            try {
                return TetherProcess.run(project, Duration.ofMinutes(2), args.toArray(String[]::new));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (!Files.exists(project.resolve("id")) && System.nanoTime() < deadline && !run.isDone()) {
            Thread.sleep(50);
        }
        assertThat(project.resolve("id")).as(run.isDone() ? run.join().stderr() : "sandbox did not start").exists();
        // The file can exist before the sandbox's echo has finished writing it: a partial id would
        // match other sessions' rules by prefix. Wait for the whole line.
        while (!Files.readString(project.resolve("id")).endsWith("\n") && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        String session = Files.readString(project.resolve("id")).strip();
        assertThat(session).matches("\\d{8}-\\d{4}-[a-z0-9]+");
        String rules = forwardRules();
        Files.writeString(project.resolve("go"), "");
        var r = run.join();
        assertThat(r.exit()).as(r.stderr()).isZero();
        assertThat(r.stdout()).contains("DNS-OK");
        assertThat(rules.lines().filter(l -> l.startsWith("-A DOCKER-USER") && l.contains("tether-" + session)).toList())
                .as(rules).hasSize(2).anyMatch(l -> l.contains("-i tth") && l.endsWith("-j ACCEPT"))
                .anyMatch(l -> l.contains("-o tth") && l.contains("RELATED,ESTABLISHED") && l.endsWith("-j ACCEPT"));
        assertNothingLeft(session);
    }

    @ParameterizedTest
    @ValueSource(strings = {"podman", "docker", "builtin"})
    void killMinusNineOfTetherLeavesNothingBehind(String engine) throws Exception {
        List<String> cmd = new ArrayList<>(TetherProcess.command());
        cmd.add("run");
        cmd.addAll(engine(engine));
        cmd.addAll(List.of("-q", "--", "sh", "-c", "touch /workspace/started; sleep 300"));
        Path err = project.resolve("stderr.txt");
        Process tether = new ProcessBuilder(cmd).directory(project.toFile()).redirectError(err.toFile())
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!Files.exists(project.resolve("started")) && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertThat(project.resolve("started")).as(Files.readString(err)).exists();
        String session = session(Files.readString(err));
        assertThat(CGROUP_PARENT.resolve(session)).exists();
        assertThat(Path.of("/run/netns/tether-" + session)).exists();
        tether.destroyForcibly(); // SIGKILL: no cleanup code of tether runs
        tether.waitFor();
        // The crash watchdog sweeps the dead session.
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < until && (Files.exists(CGROUP_PARENT.resolve(session))
                || Files.exists(Path.of("/run/netns/tether-" + session)) || containerExists(session))) {
            Thread.sleep(200);
        }
        assertNothingLeft(session);
    }

    @ParameterizedTest
    @ValueSource(strings = {"podman", "docker", "builtin"})
    void whereNoPermitLetsTheProjectBeWrittenItsMountIsReadOnly(String engine) throws Exception {
        // Deleting by path opens nothing, so the file gate never sees it: in every engine the
        // project is mounted read-only where no permit reaches (out/ stays writable, watched).
        Files.createDirectory(project.resolve("out"));
        Files.writeString(project.resolve("notes.txt"), "notes\n");
        Path policy = project.resolve("policy.cedar");
        Files.writeString(policy, """
                permit (principal, action in [Action::"FileOpenReadOnly", Action::"ProcessExec"], resource);
                permit (principal, action == Action::"FileOpenReadWrite", resource)
                when { resource in [Dir::"/dev/", Dir::"/workspace/out/"] };
                """);
        List<String> args = new ArrayList<>(List.of("run"));
        args.addAll(engine(engine).stream().map(a -> a.equals("permissive") ? "enforce" : a).toList());
        args.addAll(List.of("--policy", policy.toString(), "--events", project.resolve("events.jsonl").toString(), "--",
                "sh", "-c", "cd /workspace; rm notes.txt; echo rm=$?; echo x > out/x && rm out/x && echo out-writable;"
                        + " echo y > other.txt; echo create=$?"));
        var r = TetherProcess.run(project, Duration.ofMinutes(2), args.toArray(String[]::new));
        assertThat(r.stdout()).as(r.stderr()).contains("rm=1", "out-writable").doesNotContain("create=0");
        assertThat(r.stdout() + r.stderr()).contains("Read-only file system");
        assertThat(project.resolve("notes.txt")).exists();
        assertThat(project.resolve("other.txt")).doesNotExist();
        // The writable island is watched by the gate like the rest: its write open was decided.
        assertThat(Files.readString(project.resolve("events.jsonl")))
                .containsPattern("\"action\":\"FileOpenReadWrite\",\"resource\":\"[^\"]*/out/x\"[^\\n]*\"decision\":\"allow\"");
        assertNothingLeft(session(r.stderr()));
    }

    @ParameterizedTest
    @ValueSource(strings = {"podman", "docker", "builtin"})
    void aHardLinkMadeInTheSandboxToAForbiddenFileOutsideTheProjectIsRefused(String engine) throws Exception {
        // A container's root file system is one writable mount: /etc/shadow can be hard-linked
        // into /tmp and read under that permitted name unless the gate knows its inode. (The
        // built-in sandbox sees the host's /etc on a mount of its own: the link fails, EXDEV.)
        Path policy = project.resolve("policy.cedar");
        Files.writeString(policy, """
                permit (principal, action, resource);
                @id("no-shadow")
                forbid (principal, action in [Action::"FileOpenReadOnly", Action::"FileOpenReadWrite"], resource == File::"/etc/shadow");
                """);
        List<String> args = new ArrayList<>(List.of("run"));
        args.addAll(engine(engine).stream().map(a -> a.equals("permissive") ? "enforce" : a).toList());
        args.addAll(List.of("--policy", policy.toString(), "--events", project.resolve("events.jsonl").toString(), "--",
                // Files created in /tmp and in the project first: a directory the gate let the
                // kernel skip would let the link's read through unjudged.
                "sh", "-c", "mkdir -p /workspace/out; for i in $(seq 1 30); do echo $i > /tmp/f$i; echo $i > /workspace/out/f$i; done;"
                        + " if ln /etc/shadow /tmp/s 2>/dev/null; then echo linked; cat /tmp/s 2>/dev/null && echo LEAKED-THROUGH-LINK;"
                        + " else echo not-linked; fi; cat /etc/shadow 2>/dev/null && echo LEAKED-DIRECT; echo done"));
        var r = TetherProcess.run(project, Map.of("TETHER_TIMINGS", "1"), List.of(), Duration.ofMinutes(2), args.toArray(String[]::new));
        assertThat(r.stdout()).as(r.stderr()).contains("done").doesNotContain("LEAKED", "root:");
        if (!engine.equals("builtin")) {
            // The link itself works in a container: what refused the read is the inode check.
            assertThat(r.stdout()).contains("linked").doesNotContain("not-linked");
            assertThat(Files.readString(project.resolve("events.jsonl")))
                    .containsPattern("\"resource\":\"/tmp/s\"[^\\n]*\"decision\":\"deny\"[^\\n]*no-shadow");
        }
        // The project's own mount holds no forbidden file: its out/ is still skipped after one judgment.
        var cached = java.util.regex.Pattern.compile("(\\d+) directories whose opens the kernel skips").matcher(r.stderr());
        assertThat(cached.find()).as(r.stderr()).isTrue();
        assertThat(Long.parseLong(cached.group(1))).as("directories cached").isPositive();
        assertNothingLeft(session(r.stderr()));
    }

    @ParameterizedTest
    @ValueSource(strings = {"podman", "docker", "builtin"})
    void twoSandboxesAtOnceHaveTheirOwnPrincipalsAddressesAndDecisions(String engine) throws Exception {
        Path a = Files.createDirectory(project.resolve("a"));
        Path b = Files.createDirectory(project.resolve("b"));
        // One policy for both: everything is permitted, except that Agent::"beta" may not run id.
        Path policy = project.resolve("shared.cedar");
        Files.writeString(policy, """
                permit (principal, action, resource);
                @id("beta-no-id")
                forbid (principal == Agent::"beta", action == Action::"ProcessExec", resource == File::"/usr/bin/id");
                """);
        String script = "cat /proc/net/fib_trie | grep -m1 -o '100\\.96\\.[0-9.]*' > /workspace/addr; echo $TETHER_SESSION > /workspace/id;"
                + " if /usr/bin/id -u > /dev/null 2>&1; then echo ran > /workspace/id-exec; else echo refused > /workspace/id-exec; fi; sleep 2";
        var fa = CompletableFuture.supplyAsync(() -> runIn(a, engine, "alpha", policy, script));
        var fb = CompletableFuture.supplyAsync(() -> runIn(b, engine, "beta", policy, script));
        var ra = fa.join();
        var rb = fb.join();
        assertThat(ra.exit()).as(ra.stderr()).isZero();
        assertThat(rb.exit()).as(rb.stderr()).isZero();
        assertThat(ra.stderr()).contains("principal Agent::\"alpha\"");
        assertThat(rb.stderr()).contains("principal Agent::\"beta\"");
        assertThat(Files.readString(a.resolve("id"))).isNotEqualTo(Files.readString(b.resolve("id")));
        assertThat(Files.readString(a.resolve("addr"))).startsWith("100.96.").isNotEqualTo(Files.readString(b.resolve("addr")));
        // Same policy, same moment, different principals: different decisions.
        assertThat(Files.readString(a.resolve("id-exec"))).as(ra.stderr()).isEqualTo("ran\n");
        assertThat(Files.readString(b.resolve("id-exec"))).as(rb.stderr()).isEqualTo("refused\n");
        assertThat(rb.stderr()).contains("beta-no-id");
    }

    private TetherProcess.Result runIn(Path dir, String engine, String agent, Path policy, String script) {
        try {
            List<String> args = new ArrayList<>(List.of("run", "-C", dir.toString(), "--agent", agent,
                    "--policy", policy.toString(), "--mode", "enforce"));
            List<String> engineArgs = new ArrayList<>(engine(engine));
            int mode = engineArgs.indexOf("--mode"); // this test is about decisions: enforce, not permissive
            engineArgs.subList(mode, mode + 2).clear();
            args.addAll(engineArgs);
            args.addAll(List.of("--", "sh", "-c", script));
            return TetherProcess.run(project, Duration.ofMinutes(2), args.toArray(String[]::new));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** A container of the session in podman or docker (docker's network holder included). */
    private static boolean containerExists(String session) throws Exception {
        List<String> engines = new ArrayList<>();
        if (Files.isExecutable(Path.of("/usr/bin/podman"))) {
            engines.add("podman");
        }
        if (dockerRuns()) {
            engines.add("docker");
        }
        for (String engine : engines) {
            Process p = new ProcessBuilder(engine, "ps", "-a", "-q", "--filter", "label=dev.tether.session=" + session)
                    .redirectError(ProcessBuilder.Redirect.PIPE).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            String problem = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            // A failing "ps" (e.g. a docker socket left from before a reboot, no daemon) says so;
            // its message is not a container.
            assertThat(p.waitFor()).as(engine + " ps: " + problem).isZero();
            if (!out.isEmpty()) {
                return true;
            }
        }
        return false;
    }

    /** The host's iptables FORWARD-side rules (DOCKER-USER when docker runs, and FORWARD). */
    static String forwardRules() throws Exception {
        StringBuilder all = new StringBuilder();
        for (String chain : List.of("DOCKER-USER", "FORWARD")) {
            Process p = new ProcessBuilder("iptables", "-w", "5", "-S", chain).redirectErrorStream(true).start();
            all.append(new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
            p.waitFor();
        }
        return all.toString();
    }

    /** Live (not zombie) processes whose cgroup names the session, as "pid state cmdline | cgroup". */
    private static List<String> sessionProcesses(String session) {
        List<String> found = new ArrayList<>();
        try (Stream<ProcessHandle> all = ProcessHandle.allProcesses()) {
            all.forEach(ph -> {
                Path proc = Path.of("/proc", Long.toString(ph.pid()));
                try {
                    String cgroup = Files.readString(proc.resolve("cgroup"));
                    if (!cgroup.contains(session)) {
                        return;
                    }
                    String stat = Files.readString(proc.resolve("stat"));
                    char state = stat.charAt(stat.lastIndexOf(')') + 2);
                    if (state == 'Z' || state == 'X') {
                        return;
                    }
                    String cmd = new String(Files.readAllBytes(proc.resolve("cmdline")), StandardCharsets.UTF_8).replace('\0', ' ');
                    found.add(ph.pid() + " " + state + " " + cmd.strip() + " | " + cgroup.strip());
                } catch (java.io.IOException | RuntimeException e) {
                    // gone while we looked
                }
            });
        }
        return found;
    }

    private static void assertNothingLeft(String session) throws Exception {
        assertThat(CGROUP_PARENT.resolve(session)).doesNotExist();
        assertThat(Path.of("/sys/fs/cgroup/pids/tether", session)).doesNotExist();
        assertThat(Path.of("/run/netns/tether-" + session)).doesNotExist();
        assertThat(Path.of("/run/tether/sessions", session + ".lock")).doesNotExist();
        assertThat(Path.of("/run/tether/files", session)).doesNotExist();
        assertThat(containerExists(session)).as("container of " + session).isFalse();
        Process nft = new ProcessBuilder("nft", "list", "tables").redirectErrorStream(true).start();
        String tables = new String(nft.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        nft.waitFor();
        assertThat(tables).doesNotContain("tether_" + session.replace('-', '_'));
        assertThat(forwardRules()).as("iptables rules of " + session).doesNotContain("tether-" + session);
        // No process of this session survives (other sessions' or other tools' processes are not ours).
        // Processes still exiting (zombies, or a task between exit and reap) get a few seconds.
        List<String> survivors = sessionProcesses(session);
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (!survivors.isEmpty() && System.nanoTime() < until) {
            Thread.sleep(200);
            survivors = sessionProcesses(session);
        }
        assertThat(survivors).as("live processes in session " + session + "'s cgroup").isEmpty();
    }
}
