package dev.tether.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The warm start end to end, as root: a real spare tether (the packaged jar, started as a session
 * starts its successor) and the real tether-attach from the jar. A matching client's command runs
 * in the spare on the client's stdin, stdout and stderr and its exit status comes back; a client
 * that differs starts cold; a malformed request is refused with the reason and the spare keeps
 * serving; killing the client stops the session's sandbox.
 */
class WarmStartIT {
    private static final String COLD = "COLD-START";
    private static Path attach;

    private Path project;
    private Path socket;
    private final List<Process> spares = new ArrayList<>();

    @BeforeAll
    static void extractClient() throws IOException {
        assumeTrue("root".equals(System.getProperty("user.name")),
                "the warm start runs sessions (BPF, cgroups, namespaces) and takes a client's files: needs root; skipped");
        attach = Files.createTempFile("tether-attach", "");
        try (ZipFile zip = new ZipFile(TetherProcess.jar().toFile());
             InputStream in = zip.getInputStream(zip.getEntry("bpf/tether-attach"))) {
            Files.copy(in, attach, StandardCopyOption.REPLACE_EXISTING);
        }
        attach.toFile().setExecutable(true);
    }

    @BeforeEach
    void setUp() throws IOException {
        project = Files.createDirectories(TetherProcess.itProject("warm-start", Long.toString(System.nanoTime())));
        socket = Files.createTempDirectory("tether-spare").resolve("spare.sock");
    }

    @AfterEach
    void tearDown() throws IOException, InterruptedException {
        // A removed socket retires a spare within seconds; a successor that starts after this finds
        // its directory gone and exits.
        Files.deleteIfExists(socket);
        Files.deleteIfExists(socket.getParent());
        for (Process p : spares) {
            if (!p.waitFor(0, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        }
    }

    private Map<String, String> env() {
        Map<String, String> env = new HashMap<>(System.getenv());
        env.put("TETHER_SPARE", "1");
        env.put("TETHER_SPARE_SOCKET", socket.toString());
        return env;
    }

    /** Starts a spare as a session starts its successor (without setsid and nice) and waits until it listens. */
    private Process startSpare() throws Exception {
        return startSpare(TetherProcess.command());
    }

    private Process startSpare(List<String> tether) throws Exception {
        Object previous = socketKey().orElse(null);
        List<String> cmd = new ArrayList<>(tether);
        cmd.add("__spare");
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(project.toFile())
                .redirectOutput(project.resolve("spare.out").toFile()).redirectError(project.resolve("spare.err").toFile());
        pb.environment().clear();
        pb.environment().putAll(env());
        Process spare = pb.start();
        spares.add(spare);
        Object key = awaitNewSocket(previous);
        assertThat(key).as("the spare listens (its stderr: %s)", read(project.resolve("spare.err"))).isNotNull();
        return spare;
    }

    private Object awaitNewSocket(Object previous) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (System.nanoTime() < deadline) {
            Optional<Object> key = socketKey();
            if (key.isPresent() && !key.get().equals(previous)) {
                return key.get();
            }
            Thread.sleep(50);
        }
        return null;
    }

    private Optional<Object> socketKey() {
        try {
            return Optional.of(Files.readAttributes(socket, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey());
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    record Attached(int exit, String stdout, String stderr) {}

    /** tether-attach as the launcher runs it; the cold command only echoes, so a cold start is visible. */
    private Process startClient(Map<String, String> env, String... tetherArgs) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(attach.toString(), socket.toString(), Integer.toString(tetherArgs.length),
                "/bin/echo", COLD));
        cmd.addAll(List.of(tetherArgs));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(project.toFile());
        pb.environment().clear();
        pb.environment().putAll(env);
        return pb.start();
    }

    private Attached attach(Map<String, String> env, String stdin, String... tetherArgs) throws Exception {
        Process p = startClient(env, tetherArgs);
        CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> read(p.getInputStream()));
        CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> read(p.getErrorStream()));
        p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("tether-attach finished").isTrue();
        return new Attached(p.exitValue(), out.join(), err.join());
    }

    @Test
    void aMatchingClientsCommandRunsInTheSpareOnTheClientsStdio() throws Exception {
        Process spare = startSpare();
        Object first = socketKey().orElseThrow();
        Attached r = attach(env(), "from-stdin\n", "run", "--engine", "builtin", "-q", "--",
                "sh", "-c", "read x; echo warm-$x; echo to-stderr >&2; exit 7");
        assertThat(r.stdout()).as(r.stderr()).contains("warm-from-stdin").doesNotContain(COLD);
        assertThat(r.stderr()).contains("to-stderr").contains("tether: session ");
        assertThat(r.exit()).as("the command's exit status, through the spare").isEqualTo(7);
        // The spare ran the session and exited with its status; the session left a successor.
        assertThat(spare.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(spare.exitValue()).isEqualTo(7);
        assertThat(awaitNewSocket(first)).as("a successor spare listens").isNotNull();
        // ...which serves the next command.
        Attached next = attach(env(), "", "run", "--engine", "builtin", "-q", "--", "sh", "-c", "echo second");
        assertThat(next.stdout()).as(next.stderr()).contains("second").doesNotContain(COLD);
        assertThat(next.exit()).isZero();
    }

    /**
     * The spare loaded the monitor's and both guards' BPF objects before the session existed: a
     * warm session still records, and the guards on those objects still decide (an argv rule the
     * exec guard applies in the kernel after the program's first exec, a connection no permit
     * allows refused by the cgroup network guard).
     */
    @Test
    void aWarmSessionEnforcesWithTheObjectsTheSpareLoadedAhead() throws Exception {
        Files.createDirectories(project.resolve("bin"));
        Files.copy(Path.of("/bin/true"), project.resolve("bin/escape"));
        project.resolve("bin/escape").toFile().setExecutable(true);
        Path policy = project.resolve("policy.cedar");
        Files.writeString(policy, EnforcementIT.POLICY);
        Path events = project.resolve("events.jsonl");
        startSpare();
        Attached r = attach(env(), "", "run", "--engine", "builtin", "--events", events.toString(), "--policy", policy.toString(),
                "--", "sh", "-c", "bin/escape good; echo good=$?; bin/escape evil; echo evil=$?;"
                        + " bash -c 'echo > /dev/tcp/127.0.0.1/7777' 2>/dev/null; echo connect=$?");
        assertThat(r.stdout()).as(r.stderr()).doesNotContain(COLD).contains("good=0", "connect=1")
                .containsPattern("evil=(1|126|137)");
        assertThat(r.stdout()).doesNotContain("evil=0");
        List<String> denials = new ArrayList<>();
        for (String line : Files.readAllLines(events)) {
            if (line.contains("\"decision\":\"deny\"")) {
                denials.add(line);
            }
        }
        assertThat(denials).anyMatch(l -> l.contains("\"ProcessExec\"") && l.contains("no-evil"))
                .anyMatch(l -> l.contains("\"NetworkConnect\"") && l.contains("127.0.0.1:7777"));
    }

    @Test
    void aClientWithAnotherEnvironmentStartsColdAndTheSpareWaitsOn() throws Exception {
        Process spare = startSpare();
        Map<String, String> other = env();
        other.put("TETHER_IT_DIFFERENT", "1");
        other.put("TETHER_TIMINGS", "1"); // prints why the start is cold
        Attached cold = attach(other, "", "run", "--engine", "builtin", "-q", "--", "true");
        assertThat(cold.stdout()).isEqualTo(COLD + " run --engine builtin -q -- true\n");
        assertThat(cold.stderr()).contains("tether: cold start: another environment (TETHER_IT_DIFFERENT, TETHER_TIMINGS)");
        assertThat(cold.exit()).isZero();
        assertThat(spare.isAlive()).isTrue();

        // A closed stdin: nothing for the spare to take, so the client does not even ask.
        ProcessBuilder closed = new ProcessBuilder("sh", "-c", "exec 0<&-; exec \"$@\"", "sh", attach.toString(),
                socket.toString(), "1", "/bin/echo", COLD, "--version").directory(project.toFile());
        closed.environment().clear();
        closed.environment().putAll(other);
        Process c = closed.start();
        assertThat(c.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(read(c.getInputStream())).isEqualTo(COLD + " --version\n");
        assertThat(read(c.getErrorStream())).contains("tether: cold start: stdin, stdout or stderr is closed");
        assertThat(spare.isAlive()).isTrue();

        Attached warm = attach(env(), "", "run", "--engine", "builtin", "-q", "--", "sh", "-c", "echo matched");
        assertThat(warm.stdout()).as(warm.stderr()).contains("matched").doesNotContain(COLD);
    }

    @Test
    void aMalformedRequestIsRefusedWithTheReasonAndTheSpareServesOn() throws Exception {
        Process spare = startSpare();
        // A client that goes away mid-request, then one that sends what is not a request.
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(socket));
            ch.write(ByteBuffer.wrap("tether-spare-1\0".getBytes(StandardCharsets.UTF_8)));
        }
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(socket));
            ch.write(ByteBuffer.wrap("not-tether\0\0\0".getBytes(StandardCharsets.UTF_8)));
            ch.shutdownOutput();
            String answer = new String(java.nio.channels.Channels.newInputStream(ch).readAllBytes(), StandardCharsets.UTF_8);
            assertThat(answer).startsWith("N").contains("malformed request: unknown protocol 'not-tether'");
        }
        assertThat(spare.isAlive()).isTrue();
        Attached warm = attach(env(), "", "run", "--engine", "builtin", "-q", "--", "sh", "-c", "echo still-serving");
        assertThat(warm.stdout()).as(warm.stderr()).contains("still-serving").doesNotContain(COLD);
    }

    /** A spare retires when a newer one takes its socket, and when the jar it runs is rebuilt. */
    @Test
    void aSpareRetiresWhenReplacedOrRebuilt() throws Exception {
        Process older = startSpare();
        Path jar = project.resolve("tether.jar");
        Files.copy(TetherProcess.jar(), jar);
        Process newer = startSpare(List.of(TetherProcess.java().toString(), "--enable-native-access=ALL-UNNAMED", "-jar",
                jar.toString()));
        assertThat(older.waitFor(30, TimeUnit.SECONDS)).as("the replaced spare exited").isTrue();
        assertThat(older.exitValue()).isZero();
        assertThat(newer.isAlive()).isTrue();
        Files.setLastModifiedTime(jar, java.nio.file.attribute.FileTime.from(java.time.Instant.now()));
        assertThat(newer.waitFor(30, TimeUnit.SECONDS)).as("the spare of a rebuilt jar exited").isTrue();
        assertThat(socketKey()).as("and took its socket with it").isEmpty();
    }

    /** A warm session running {@code sleep MARKER}, its client, the client's stderr, and the sleep once it runs. */
    record Sleeping(Process client, CompletableFuture<String> stderr, ProcessHandle sleeper) {}

    private Sleeping warmSleep(String marker) throws Exception {
        Process client = startClient(env(), "run", "--engine", "builtin", "-q", "--", "sleep", marker);
        CompletableFuture.runAsync(() -> read(client.getInputStream()));
        CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> read(client.getErrorStream()));
        Optional<ProcessHandle> sleeper = awaitProcessWithSoleArgument(marker);
        assertThat(sleeper).as("the sandboxed sleep started").isPresent();
        return new Sleeping(client, err, sleeper.get());
    }

    @Test
    void killingTheClientStopsTheSessionsSandbox() throws Exception {
        Process spare = startSpare();
        Sleeping s = warmSleep("3141");
        s.client().destroyForcibly();
        assertThat(spare.waitFor(60, TimeUnit.SECONDS)).as("the spare ended its session").isTrue();
        assertThat(s.sleeper().onExit().get(30, TimeUnit.SECONDS).isAlive()).as("the sandboxed process is gone").isFalse();
        assertThat(read(project.resolve("spare.err"))).isEmpty();
        s.stderr().cancel(true);
    }

    /** Once it took a command the spare is that session's tether: killed, its watchdog sweeps the sandbox. */
    @Test
    void killingTheSpareMidSessionStopsTheSandboxAndTheClientSaysSo() throws Exception {
        Process spare = startSpare();
        Sleeping s = warmSleep("2718");
        spare.destroyForcibly();
        assertThat(s.client().waitFor(60, TimeUnit.SECONDS)).as("the client ended").isTrue();
        assertThat(s.client().exitValue()).isEqualTo(255);
        assertThat(s.stderr().get(10, TimeUnit.SECONDS)).contains("tether: the session's process ended without an exit status");
        assertThat(s.sleeper().onExit().get(60, TimeUnit.SECONDS).isAlive()).as("the watchdog swept the sandbox").isFalse();
    }

    /** The process whose only argument is {@code argument} (the sandboxed sleep), once it runs (at most 90 s). */
    private static Optional<ProcessHandle> awaitProcessWithSoleArgument(String argument) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (System.nanoTime() < deadline) {
            Optional<ProcessHandle> found = ProcessHandle.allProcesses().filter(h -> h.info().arguments()
                    .map(a -> a.length == 1 && a[0].equals(argument)).orElse(false)).findFirst();
            if (found.isPresent()) {
                return found;
            }
            Thread.sleep(50);
        }
        return Optional.empty();
    }

    private static String read(InputStream in) {
        try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            return "";
        }
    }
}
