package dev.tether.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
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

    /**
     * The kernel monitor's exec events (the file also holds the enforcement layers' decisions),
     * each as {filename, argv, pid, ppid, comm}.
     */
    private List<JsonNode> events(Path file) throws IOException {
        List<JsonNode> out = new ArrayList<>();
        for (String line : Files.readAllLines(file)) {
            JsonNode n = JSON.readTree(line);
            if (!"ProcessExec".equals(n.path("action").asText()) || n.path("layer").asText("kernel").equals("fanotify")) {
                continue;
            }
            var e = JSON.createObjectNode();
            e.put("filename", n.has("filename") ? n.get("filename").asText() : n.path("resource").asText());
            e.set("argv", n.has("argv") ? n.get("argv") : n.path("detail").path("argv"));
            e.put("pid", n.path("pid").asLong());
            e.put("ppid", n.path("ppid").asLong());
            e.put("comm", n.path("comm").asText());
            e.put("action", n.path("action").asText());
            out.add(e);
        }
        return out;
    }

    @Test
    void trueRunsInTheSandboxAndItsExecIsReported() throws Exception {
        Path events = project.resolve("events.jsonl");
        var r = TetherProcess.run(project, "run", "--engine", "builtin", "--events", events.toString(), "--", "/bin/true");
        assertThat(r.exit()).as(r.stderr()).isZero();
        List<JsonNode> evs = events(events);
        assertThat(evs).as(r.stderr()).hasSize(1);
        JsonNode e = evs.getFirst();
        assertThat(e.get("action").asText()).isEqualTo("ProcessExec");
        assertThat(e.get("filename").asText()).isEqualTo("/bin/true");
        assertThat(e.get("argv").get(0).asText()).isEqualTo("/bin/true");
        assertThat(e.get("argv")).hasSize(1);
        assertThat(e.get("pid").asLong()).isPositive();
        assertThat(e.get("comm").asText()).isEqualTo("true");
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
        assertThat(evs).extracting(n -> n.get("filename").asText()).contains("/bin/echo");
        JsonNode echo = evs.stream().filter(n -> n.get("filename").asText().equals("/bin/echo")).findFirst().orElseThrow();
        assertThat(echo.get("argv")).extracting(JsonNode::asText).containsExactly("/bin/echo", "two", "words");
        JsonNode sh = evs.getFirst();
        assertThat(sh.get("argv")).extracting(JsonNode::asText)
                .containsExactly("sh", "-c", "echo hi > out.txt; /bin/echo two words; exit 7");
        assertThat(echo.get("ppid").asLong()).isEqualTo(sh.get("pid").asLong());
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
