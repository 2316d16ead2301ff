package dev.tether.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The full agent image, built for real from the Debian mirror and the npm registry (minutes the
 * first time, then cached by its inputs), and each agent's {@code --version} run through
 * {@code tether <agent>} in a governed podman sandbox: session cgroup, BPF monitor, tether's
 * network namespace.
 */
class AgentImageIT {
    @TempDir Path project;

    @BeforeAll
    static void buildAgentImage() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "the agent image build needs root (mmdebstrap, podman)");
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/podman")), "podman is not installed (/usr/bin/podman)");
        var r = TetherProcess.run(Path.of("."), Duration.ofMinutes(14), "image", "build");
        assertThat(r.exit()).as(r.stderr()).isZero();
        assertThat(r.stderr()).contains("[1/5]").contains("image ready");
    }

    @ParameterizedTest
    @ValueSource(strings = {"claude", "codex", "gemini", "qwen", "opencode"})
    void agentVersionRunsInAGovernedSandbox(String agent) throws Exception {
        Path events = project.resolve("events.jsonl");
        var r = TetherProcess.run(project, Duration.ofMinutes(3), agent, "--engine", "podman", "--events", events.toString(), "-q",
                "--version");
        assertThat(r.exit()).as(r.stderr() + r.stdout()).isZero();
        assertThat(r.stdout()).as(r.stderr()).containsPattern("\\d+\\.\\d+");
        assertThat(r.stderr()).contains("principal Agent::\"" + agent + "\"");
        // The agent's own exec (its launcher in /usr/local/bin) was seen by the kernel monitor scoped
        // to the session, with --version (a #! launcher's argv is its interpreter's:
        // "/usr/bin/env node /usr/local/bin/codex --version").
        ObjectMapper json = new ObjectMapper();
        List<JsonNode> execs = new ArrayList<>();
        for (String line : Files.readAllLines(events)) {
            JsonNode n = json.readTree(line);
            if (n.path("action").asText().equals("ProcessExec")) {
                execs.add(n);
            }
        }
        assertThat(execs).anySatisfy(e -> {
            assertThat(e.path("resource").asText()).isEqualTo("/usr/local/bin/" + agent);
            assertThat(e.path("detail").path("argv").toString()).contains("\"--version\"");
        });
    }
}
