package dev.tether.sandbox;

import dev.tether.kernel.ffm.LibC;
import dev.tether.sandbox.builtin.BuiltinEngine;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Finds which sandbox engines work here by running them, not by looking for files. */
public final class EngineDetector {
    private EngineDetector() {}

    public static List<EngineStatus> detect(LibC libc) {
        List<EngineStatus> out = new ArrayList<>();
        BuiltinEngine builtin = BuiltinEngine.detect(libc);
        String reason = builtin.unavailableReason();
        out.add(new EngineStatus("builtin", reason == null, reason == null ? "bubblewrap " + version("bwrap", "--version") : reason));
        out.add(probe("podman", List.of("podman", "info", "--format", "{{.Host.OCIRuntime.Name}} {{.Host.CgroupManager}} {{.Version.Version}}"),
                "runtime/cgroups/version: "));
        out.add(probe("docker", List.of("docker", "info", "--format", "{{.ServerVersion}} {{.CgroupDriver}}"),
                "server/cgroup driver: "));
        return out;
    }

    private static EngineStatus probe(String engine, List<String> command, String prefix) {
        Result r = run(command, 20);
        if (r.exit() == 0) {
            return new EngineStatus(engine, true, prefix + r.output().strip());
        }
        String first = r.output().lines().filter(l -> !l.isBlank()).findFirst().orElse("exit " + r.exit());
        return new EngineStatus(engine, false, first);
    }

    private static String version(String... command) {
        Result r = run(List.of(command), 5);
        return r.exit() == 0 ? r.output().strip().replaceFirst("^bubblewrap ", "") : "?";
    }

    private record Result(int exit, String output) {}

    private static String readAll(java.io.InputStream in) {
        try {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    private static Result run(List<String> command, int timeoutSeconds) {
        try {
            // stdout carries the answer; stderr only matters when the command fails (podman warns
            // about unrelated CNI files on stderr even when it works).
            Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.PIPE).start();
            p.getOutputStream().close();
            var err = java.util.concurrent.CompletableFuture.supplyAsync(() -> readAll(p.getErrorStream()));
            var out = java.util.concurrent.CompletableFuture.supplyAsync(() -> readAll(p.getInputStream()));
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return new Result(-1, "timed out after " + timeoutSeconds + " s");
            }
            return new Result(p.exitValue(), p.exitValue() == 0 ? out.join() : err.join() + out.join());
        } catch (IOException e) {
            return new Result(-1, "not installed (" + command.getFirst() + " not found)");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Result(-1, "interrupted");
        }
    }
}
