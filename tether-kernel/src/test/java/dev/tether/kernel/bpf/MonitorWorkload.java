package dev.tether.kernel.bpf;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** src/test/c/monitor_workload.c, compiled static with clang (which the BPF build needs anyway). */
final class MonitorWorkload {
    private MonitorWorkload() {}

    static Path build() throws IOException, InterruptedException {
        Path src = Path.of("src/test/c/monitor_workload.c").toAbsolutePath();
        Path out = Path.of("target/it-bin/monitor_workload").toAbsolutePath();
        Files.createDirectories(out.getParent());
        Process p = new ProcessBuilder("clang", "-O1", "-static", "-Wall", "-Werror", "-o", out.toString(), src.toString())
                .redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new AssertionError("cannot build the workload (clang and libc6-dev's libc.a are needed):\n" + log);
        }
        return out;
    }
}
