package dev.tether.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Runs the packaged tether.jar as a real process, as a user would through ./tether. */
final class TetherProcess {
    record Result(int exit, String stdout, String stderr) {}

    static Path jar() {
        return Path.of(System.getProperty("tether.jar", "target/tether.jar"));
    }

    /**
     * Where an integration test's project lives: not under /tmp (a policy permitting /tmp must not
     * permit the project by accident) and not in tether's build directory, which holds the jar
     * sessions run from: that is tether's installation, read-only in every sandbox.
     */
    static Path itProject(String first, String... more) {
        return Path.of(System.getProperty("tether.it.projects", "/var/lib/tether-it-projects")).resolve(Path.of(first, more)).toAbsolutePath();
    }

    static Path java() {
        return Path.of(System.getProperty("java.home"), "bin", "java");
    }

    /** The command that starts tether (java and the jar). */
    static List<String> command() {
        return List.of(java().toString(), "--enable-native-access=ALL-UNNAMED", "-jar", jar().toAbsolutePath().toString());
    }

    static Result run(Path workdir, List<String> prefix, String... args) throws IOException, InterruptedException {
        return run(workdir, prefix, java.time.Duration.ofSeconds(120), args);
    }

    static Result run(Path workdir, java.time.Duration timeout, String... args) throws IOException, InterruptedException {
        return run(workdir, List.of(), timeout, args);
    }

    static Result run(Path workdir, List<String> prefix, java.time.Duration timeout, String... args) throws IOException, InterruptedException {
        return run(workdir, java.util.Map.of(), prefix, timeout, args);
    }

    /** As above, with {@code env} added to tether's environment. */
    static Result run(Path workdir, java.util.Map<String, String> env, List<String> prefix, java.time.Duration timeout,
                      String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(prefix);
        cmd.addAll(command());
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().putAll(env);
        Process p = pb.directory(workdir.toFile()).start();
        p.getOutputStream().close();
        CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> read(p.getInputStream()));
        CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> read(p.getErrorStream()));
        if (!p.waitFor(timeout.toSeconds(), TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("tether did not finish within " + timeout + ": " + cmd + "\nstderr so far: " + err.getNow(""));
        }
        return new Result(p.exitValue(), out.join(), err.join());
    }

    /** Starts tether without waiting; stdout/stderr go to files next to {@code logPrefix}. */
    static Process start(Path workdir, Path logPrefix, String... args) throws IOException {
        return start(workdir, logPrefix, java.util.Map.of(), args);
    }

    /** As above, with {@code env} added to tether's environment. */
    static Process start(Path workdir, Path logPrefix, java.util.Map<String, String> env, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(java().toString(), "--enable-native-access=ALL-UNNAMED", "-jar",
                jar().toAbsolutePath().toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().putAll(env);
        return pb.directory(workdir.toFile())
                .redirectOutput(logPrefix.resolveSibling(logPrefix.getFileName() + ".out").toFile())
                .redirectError(logPrefix.resolveSibling(logPrefix.getFileName() + ".err").toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .start();
    }

    static Result run(Path workdir, String... args) throws IOException, InterruptedException {
        return run(workdir, List.of(), args);
    }

    private static String read(java.io.InputStream in) {
        try {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    private TetherProcess() {}
}
