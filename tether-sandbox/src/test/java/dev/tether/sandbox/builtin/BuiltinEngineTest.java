package dev.tether.sandbox.builtin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tether.kernel.ffm.LibC;
import dev.tether.sandbox.CommandNotFoundException;
import dev.tether.sandbox.RootFs;
import dev.tether.sandbox.SandboxSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BuiltinEngineTest {
    @TempDir Path project;

    private SandboxSpec spec(String... command) {
        return new SandboxSpec("s1", List.of(command), project, project, Map.of("PATH", "/usr/bin:/bin"),
                new SandboxSpec.SessionCgroupPlacement(Path.of("/sys/fs/cgroup/unified/tether/x/cgroup.procs"), "/tether/x"),
                "tether-x", new RootFs.HostSystem(), List.of(), null, false, null);
    }

    @Test
    void mountsTheProjectReadWriteTwiceAndTheHostSystemReadOnly() {
        List<String> a = new BuiltinEngine(Path.of("/usr/bin/bwrap"), LibC.load()).bwrapArguments(spec("sh", "-c", "x"));
        String p = project.toString();
        assertThat(Collections.indexOfSubList(a, List.of("--bind", p, p))).isNotNegative();
        assertThat(Collections.indexOfSubList(a, List.of("--bind", p, "/workspace"))).isNotNegative();
        assertThat(Collections.indexOfSubList(a, List.of("--ro-bind", "/usr", "/usr"))).isNotNegative();
        assertThat(Collections.indexOfSubList(a, List.of("--bind", "/usr", "/usr"))).isNegative();
        assertThat(a).contains("--unshare-pid", "--die-with-parent", "--clearenv");
        // The command comes last, untouched, after "--".
        assertThat(a.subList(a.indexOf("--") + 1, a.size())).containsExactly("sh", "-c", "x");
    }

    @Test
    void onlyTheGivenEnvironmentIsSet() {
        List<String> a = new BuiltinEngine(Path.of("/usr/bin/bwrap"), LibC.load()).bwrapArguments(spec("true"));
        assertThat(Collections.indexOfSubList(a, List.of("--setenv", "PATH", "/usr/bin:/bin"))).isNotNegative();
        assertThat(a.stream().filter("--setenv"::equals).count()).isEqualTo(1);
    }

    @Test
    void missingCommandsAreFoundBeforeLaunch() throws Exception {
        assertThatThrownBy(() -> BuiltinEngine.resolveCommand(spec("definitely-not-a-command")))
                .isInstanceOf(CommandNotFoundException.class).hasMessage("definitely-not-a-command: command not found");
        assertThatThrownBy(() -> BuiltinEngine.resolveCommand(spec("/workspace/missing.sh")))
                .isInstanceOf(CommandNotFoundException.class);
        Path script = project.resolve("run.sh");
        Files.writeString(script, "#!/bin/sh\n");
        script.toFile().setExecutable(true);
        BuiltinEngine.resolveCommand(spec("/workspace/run.sh"));
        BuiltinEngine.resolveCommand(spec("./run.sh"));
        BuiltinEngine.resolveCommand(spec("sh"));
    }

    @Test
    void readsTheChildPidFromBwrapsInfoWithoutWaitingForEof() throws Exception {
        var in = new java.io.ByteArrayInputStream("{\n    \"child-pid\": 4242\n}\n".getBytes());
        assertThat(CgroupHandshake.readChildPid(in)).isEqualTo(4242);
        assertThatThrownBy(() -> CgroupHandshake.readChildPid(new java.io.ByteArrayInputStream("{}".getBytes())))
                .hasMessageContaining("no child-pid");
    }
}
