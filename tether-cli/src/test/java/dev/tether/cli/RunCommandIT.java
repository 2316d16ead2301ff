package dev.tether.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The walking skeleton end to end, as root against the real kernel: tether.jar runs a command in
 * the built-in sandbox, the exec tracepoint sees it, the events arrive as JSON lines, the exit
 * code comes back, nothing is left behind, and processes outside the sandbox are not reported.
 */
class RunCommandIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path CGROUP_PARENT = Path.of("/sys/fs/cgroup/unified/tether");

    @TempDir Path project;

    @BeforeAll
    static void requireRoot() {
        assumeTrue("root".equals(System.getProperty("user.name")),
                "kernel integration tests need root (BPF, cgroups, namespaces); not root here, so they are skipped");
    }

    /** Every event of the --events file (kernel records and the enforcement layers' decisions). */
    private List<JsonNode> events(Path file) throws IOException {
        List<JsonNode> out = new ArrayList<>();
        for (String line : Files.readAllLines(file)) {
            out.add(JSON.readTree(line));
        }
        return out;
    }

    private static List<JsonNode> ofAction(List<JsonNode> events, String action) {
        return events.stream().filter(n -> n.path("action").asText().equals(action)).toList();
    }

    /** The kernel monitor's events of one action (enforcement decisions on the same act are separate events). */
    private static List<JsonNode> kernel(List<JsonNode> events, String action) {
        return ofAction(events, action).stream().filter(n -> n.path("layer").asText().equals("kernel")).toList();
    }

    @Test
    void trueRunsInTheSandboxAndItsExecIsReported() throws Exception {
        Path events = project.resolve("events.jsonl");
        var r = TetherProcess.run(project, "run", "--engine", "builtin", "--events", events.toString(), "--", "/bin/true");
        assertThat(r.exit()).as(r.stderr()).isZero();
        List<JsonNode> evs = events(events);
        List<JsonNode> execs = kernel(evs, "ProcessExec");
        assertThat(execs).as(r.stderr()).hasSize(1);
        JsonNode e = execs.getFirst();
        assertThat(e.get("resource").asText()).isEqualTo("/bin/true");
        assertThat(e.get("layer").asText()).isEqualTo("kernel");
        assertThat(e.get("detail").get("argv")).extracting(JsonNode::asText).containsExactly("/bin/true");
        assertThat(e.get("exe").asText()).as("the executable as resolved").endsWith("/bin/true");
        assertThat(e.get("pid").asLong()).isPositive();
        assertThat(e.get("comm").asText()).isEqualTo("true");
        // The session is framed by its start and end, and loss was measured.
        assertThat(evs.getFirst().get("action").asText()).isEqualTo("SessionStart");
        assertThat(evs.getLast().get("action").asText()).isEqualTo("SessionEnd");
        assertThat(ofAction(evs, "EventsLost")).singleElement()
                .satisfies(l -> assertThat(l.get("detail").get("count").asLong()).isZero());
        // Its exit (bwrap's own init process in the sandbox exits too).
        assertThat(kernel(evs, "ProcessExit")).anySatisfy(x -> {
            assertThat(x.get("pid").asLong()).isEqualTo(e.get("pid").asLong());
            assertThat(x.get("detail").get("exitCode").asInt()).isZero();
        });
        assertThat(r.stderr()).contains("tether: exec /bin/true").contains("0 events lost");
    }

    @Test
    void exitCodeIsPropagatedAndChildExecsCarryTheirArgv() throws Exception {
        Path events = project.resolve("events.jsonl");
        var r = TetherProcess.run(project, "run", "--engine", "builtin", "--events", events.toString(), "--",
                "sh", "-c", "echo hi > out.txt; /bin/echo two words; exit 7");
        assertThat(r.exit()).as(r.stderr()).isEqualTo(7);
        assertThat(r.stdout()).contains("two words");
        // The project is mounted read-write at its own path.
        assertThat(Files.readString(project.resolve("out.txt"))).isEqualTo("hi\n");
        List<JsonNode> evs = events(events);
        List<JsonNode> execs = kernel(evs, "ProcessExec");
        assertThat(execs).extracting(n -> n.get("resource").asText()).contains("/bin/echo");
        JsonNode echo = execs.stream().filter(n -> n.get("resource").asText().equals("/bin/echo")).findFirst().orElseThrow();
        assertThat(echo.get("detail").get("argv")).extracting(JsonNode::asText).containsExactly("/bin/echo", "two", "words");
        JsonNode sh = execs.getFirst();
        assertThat(sh.get("detail").get("argv")).extracting(JsonNode::asText)
                .containsExactly("sh", "-c", "echo hi > out.txt; /bin/echo two words; exit 7");
        assertThat(echo.get("ppid").asLong()).isEqualTo(sh.get("pid").asLong());
        // The shell's redirection, as a write open of the file in the project.
        String out = project.toRealPath().resolve("out.txt").toString();
        assertThat(kernel(evs, "FileOpenReadWrite")).anySatisfy(o -> {
            assertThat(o.get("resource").asText()).isEqualTo(out);
            assertThat(o.get("pid").asLong()).isEqualTo(sh.get("pid").asLong());
        });
        assertThat(kernel(evs, "ProcessExit")).anySatisfy(x -> {
            assertThat(x.get("pid").asLong()).isEqualTo(sh.get("pid").asLong());
            assertThat(x.get("detail").get("exitCode").asInt()).isEqualTo(7);
        });
    }

    @Test
    void fileAndNetworkEventsGoToTheFileWhileTheConsoleKeepsToExecsConnectsAndCounts() throws Exception {
        Path events = project.resolve("events.jsonl");
        String p = project.toRealPath().toString();
        try (ServerSocket listener = new ServerSocket(0, 4, InetAddress.getLoopbackAddress())) {
            int port = listener.getLocalPort();
            // The connect is reported whether it succeeds, is refused, or the session's policy denies it.
            var r = TetherProcess.run(project, "run", "--engine", "builtin", "--events", events.toString(), "--", "bash", "-c",
                    "echo x > f1; mv f1 f2; ln -s f2 link; rm f2 link; mkdir d; rmdir d; "
                            + "(echo > /dev/tcp/127.0.0.1/" + port + ") 2>/dev/null; true");
            assertThat(r.exit()).as(r.stderr()).isZero();
            List<JsonNode> evs = events(events);
            // The sandbox's own setup (bubblewrap's /dev symlinks, when its setup already runs in the
            // session cgroup) is recorded too; these are the command's operations in the project.
            assertThat(inProject(evs, p, "FileRename")).singleElement().satisfies(e -> {
                assertThat(e.get("resource").asText()).isEqualTo(p + "/f1");
                assertThat(e.get("detail").get("target").asText()).isEqualTo(p + "/f2");
            });
            assertThat(inProject(evs, p, "FileSymlink")).singleElement().satisfies(e -> {
                assertThat(e.get("resource").asText()).isEqualTo(p + "/link");
                assertThat(e.get("detail").get("target").asText()).isEqualTo("f2");
            });
            assertThat(inProject(evs, p, "FileUnlink")).extracting(e -> e.get("resource").asText())
                    .containsExactlyInAnyOrder(p + "/f2", p + "/link");
            assertThat(inProject(evs, p, "FileMkdir")).singleElement()
                    .satisfies(e -> assertThat(e.get("resource").asText()).isEqualTo(p + "/d"));
            assertThat(inProject(evs, p, "FileRmdir")).singleElement()
                    .satisfies(e -> assertThat(e.get("resource").asText()).isEqualTo(p + "/d"));
            // bash may also try nscd's Unix socket to look users up: only the TCP connect is ours.
            assertThat(kernel(evs, "NetworkConnect").stream()
                    .filter(e -> e.get("detail").get("family").asText().equals("inet")).toList()).singleElement().satisfies(e -> {
                assertThat(e.get("resource").asText()).isEqualTo("127.0.0.1:" + port);
                assertThat(e.get("errno").asInt()).isIn(0, 1, 111);
                assertThat(e.get("detail").get("protocol").asText()).isEqualTo("tcp");
            });
            assertThat(kernel(evs, "FileOpenReadOnly")).isNotEmpty();
            // The console: execs and the connect, no file opens; the summary counts every kind.
            assertThat(r.stderr()).contains("tether: connect 127.0.0.1:" + port + " tcp")
                    .doesNotContain("FileOpenReadOnly /")
                    .contains("FileRename").contains("FileOpenReadOnly").contains("NetworkConnect")
                    .contains("0 events lost");
        }
    }

    private static List<JsonNode> inProject(List<JsonNode> evs, String project, String action) {
        return kernel(evs, action).stream().filter(e -> e.get("resource").asText().startsWith(project + "/")).toList();
    }

    @Test
    void processesOutsideTheSandboxProduceNoEvents() throws Exception {
        Path events = project.resolve("events.jsonl");
        Path stop = project.resolve("stop");
        // A host process exec'ing a marker in a loop while the sandbox runs.
        Process outside = new ProcessBuilder("sh", "-c",
                "while [ ! -e '" + stop + "' ]; do /bin/echo outside-marker >/dev/null; done").start();
        try {
            var r = TetherProcess.run(project, "run", "--engine", "builtin", "--events", events.toString(), "--",
                    "sh", "-c", "for i in 1 2 3 4 5; do /bin/echo inside-marker; sleep 0.1; done");
            assertThat(r.exit()).as(r.stderr()).isZero();
        } finally {
            Files.writeString(stop, "");
            outside.waitFor();
        }
        String all = Files.readString(events);
        assertThat(all).contains("inside-marker").doesNotContain("outside-marker");
        long tetherPid = ProcessHandle.current().pid();
        assertThat(events(events)).noneMatch(e -> e.path("pid").asLong() == outside.pid() || e.path("pid").asLong() == tetherPid);
    }

    @Test
    void aMissingCommandFailsLikeAShellWith127() throws Exception {
        var r = TetherProcess.run(project, "run", "--engine", "builtin", "--", "no-such-command-xyz");
        assertThat(r.exit()).isEqualTo(127);
        assertThat(r.stderr()).contains("no-such-command-xyz: command not found").doesNotContain("Exception");
    }

    @Test
    void nothingIsLeftBehind() throws Exception {
        var r = TetherProcess.run(project, "run", "--engine", "builtin", "--", "sh", "-c", "sleep 30.4242 & sleep 30.4242 & exit 3");
        assertThat(r.exit()).isEqualTo(3);
        String session = r.stderr().lines().filter(l -> l.startsWith("tether: session ")).findFirst()
                .orElseThrow().substring("tether: session ".length()).split(" ")[0];
        // The background sleeps were killed with the cgroup, and the cgroup is gone.
        assertThat(CGROUP_PARENT.resolve(session)).doesNotExist();
        try (Stream<ProcessHandle> all = ProcessHandle.allProcesses()) {
            assertThat(all.filter(ph -> ph.info().commandLine().orElse("").contains("sleep 30.4242")).toList()).isEmpty();
        }
        assertThat(Path.of("/run/tether/sessions", session + ".lock")).doesNotExist();
    }

    @Test
    void withoutRootItExplainsWhatNeedsRoot() throws Exception {
        // Run tether itself as nobody.
        var r = TetherProcess.run(project, List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"),
                "run", "--engine", "builtin", "--", "/bin/true");
        assertThat(r.exit()).isEqualTo(125);
        assertThat(r.stderr()).contains("needs root").contains("eBPF").doesNotContain("Exception");
    }

    @Test
    void unknownOptionsAreRejectedWithUsage() throws Exception {
        var r = TetherProcess.run(project, "run", "--engine", "builtin", "--frobnicate", "--", "/bin/true");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.stderr()).contains("Unknown option: '--frobnicate'").contains("Usage: tether run");
    }
}
