package dev.tether.cli.ui;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * {@code tether run} as a real process (the packaged jar), with its own audit database, and its
 * stderr read line by line as it comes, so a test can wait for the control UI's URL.
 */
final class RunningTether implements AutoCloseable {
    private final Process process;
    private final List<String> lines = new ArrayList<>(); // guarded by itself
    private final CompletableFuture<Void> reader;
    private boolean ended; // guarded by lines

    private RunningTether(Process process) {
        this.process = process;
        this.reader = CompletableFuture.runAsync(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getErrorStream(), StandardCharsets.UTF_8))) {
                String l;
                while ((l = r.readLine()) != null) {
                    synchronized (lines) {
                        lines.add(l);
                        lines.notifyAll();
                    }
                }
            } catch (IOException e) {
                // the process ended
            } finally {
                synchronized (lines) {
                    ended = true; // wakes awaitLine: no more lines will come
                    lines.notifyAll();
                }
            }
        });
    }

    static Path jar() {
        return Path.of(System.getProperty("tether.jar", "target/tether.jar"));
    }

    /** A loopback port nothing listens on right now. */
    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** Starts {@code tether ARGS} in {@code workdir}, recording to {@code auditDb}. */
    static RunningTether start(Path workdir, Path auditDb, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-jar", jar().toAbsolutePath().toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(workdir.toFile())
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        Map<String, String> env = pb.environment();
        env.put("TETHER_AUDIT_DB", auditDb.toString());
        return new RunningTether(pb.start());
    }

    /** Waits for a stderr line that {@code test} accepts and returns it. */
    String awaitLine(Predicate<String> test, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (lines) {
            int seen = 0;
            while (true) {
                for (; seen < lines.size(); seen++) {
                    if (test.test(lines.get(seen))) {
                        return lines.get(seen);
                    }
                }
                long left = deadline - System.nanoTime();
                if (left <= 0 || ended) {
                    throw new AssertionError("tether did not print the expected line within " + timeout + "; stderr:\n"
                            + String.join("\n", lines));
                }
                lines.wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
            }
        }
    }

    /** The control UI's ready-to-open URL (with the token), once tether printed it. */
    URI awaitControlUi() throws InterruptedException {
        String line = awaitLine(l -> l.startsWith("tether: control UI: "), Duration.ofSeconds(120));
        return URI.create(line.substring("tether: control UI: ".length()).trim());
    }

    static String token(URI openUri) {
        return openUri.getQuery().substring("token=".length());
    }

    String stderr() {
        synchronized (lines) {
            return String.join("\n", lines);
        }
    }

    long pid() {
        return process.pid();
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** Waits for the exit and returns the status. */
    int awaitExit(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError("tether did not exit within " + timeout + "; stderr:\n" + stderr());
        }
        reader.orTimeout(10, TimeUnit.SECONDS).exceptionally(t -> null).join();
        return process.exitValue();
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            // SIGTERM: tether cleans its sandbox up; SIGKILL only if it does not.
            process.destroy();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        }
    }
}
