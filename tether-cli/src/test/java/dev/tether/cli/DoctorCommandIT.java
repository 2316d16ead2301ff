package dev.tether.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** tether doctor probes the real kernel: what it reports must agree with what run can do. */
class DoctorCommandIT {
    @Test
    void reportsEveryMechanismAndTheMonitorThatRunUses() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "doctor loads BPF probes and needs root; skipped");
        var r = TetherProcess.run(Path.of("."), "doctor", "--json");
        JsonNode doc = new ObjectMapper().readTree(r.stdout());
        assertThat(doc.get("kernel")).extracting(n -> n.get("mechanism").asText()).contains(
                "cgroup2", "BPF tracepoint programs", "BPF LSM", "BPF fentry/fexit (trampolines)",
                "cgroup-BPF connect4", "Landlock", "fanotify permission events");
        // run's monitor is a tracepoint: doctor must have found them loadable, and exits 0 then.
        JsonNode tp = find(doc, "BPF tracepoint programs");
        assertThat(tp.get("available").asBoolean()).as(tp.toString()).isTrue();
        assertThat(r.exit()).isZero();
        // Every probe result carries evidence.
        doc.get("kernel").forEach(n -> assertThat(n.get("detail").asText()).isNotBlank());
        assertThat(doc.get("engines")).extracting(n -> n.get("engine").asText()).contains("builtin", "podman", "docker");
    }

    private static JsonNode find(JsonNode doc, String mechanism) {
        for (JsonNode n : doc.get("kernel")) {
            if (n.get("mechanism").asText().equals(mechanism)) {
                return n;
            }
        }
        throw new AssertionError("no probe " + mechanism);
    }
}
