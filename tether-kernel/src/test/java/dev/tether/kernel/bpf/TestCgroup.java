package dev.tether.kernel.bpf;

import dev.tether.kernel.cgroup.Cgroup2Hierarchy;
import dev.tether.kernel.cgroup.SandboxCgroup;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A cgroup at the session level for kernel tests, under {@code tether-monitor-it/} rather than
 * {@code tether/}, where a concurrent {@code tether run} would sweep it away as stale.
 */
final class TestCgroup implements AutoCloseable {
    static final String PARENT = "tether-monitor-it";

    private final SandboxCgroup cgroup;

    private TestCgroup(SandboxCgroup cgroup) {
        this.cgroup = cgroup;
    }

    static TestCgroup create(Cgroup2Hierarchy hierarchy, String name) {
        Path dir = hierarchy.mountPoint().resolve(PARENT).resolve(name + "-" + ProcessHandle.current().pid()
                + "-" + System.nanoTime());
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new TestCgroup(SandboxCgroup.adopt(hierarchy, dir));
    }

    long id() {
        return cgroup.id();
    }

    /** The result of a command run inside the cgroup. */
    record Run(long pid, int exit, String stdout) {}

    /** Starts {@code command} inside the cgroup: its first instruction already runs there. */
    Process start(List<String> command) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("sh", "-c", "echo $$ > \"$0\" && exec \"$@\"",
                cgroup.procsFile().toString()));
        cmd.addAll(command);
        return new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    }

    Run run(List<String> command) throws IOException, InterruptedException {
        Process p = start(command);
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("did not finish: " + command);
        }
        return new Run(p.pid(), p.exitValue(), out);
    }

    @Override
    public void close() {
        cgroup.close();
    }
}
