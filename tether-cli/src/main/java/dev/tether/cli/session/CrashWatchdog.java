package dev.tether.cli.session;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Cleans up after tether if tether itself dies (kill -9, OOM): a small shell in its own session
 * (so terminal signals miss it) waits on a pipe from this JVM. A normal end writes "done" and the
 * shell exits; if the JVM dies first the pipe reaches EOF and the shell runs {@code tether sweep},
 * which removes every session whose lock is no longer held: it kills the sandbox's processes (its
 * cgroup), removes its container, network namespace, nft table and files.
 */
public final class CrashWatchdog implements AutoCloseable {
    private final Process shell;
    private final OutputStream pipe;

    private CrashWatchdog(Process shell) {
        this.shell = shell;
        this.pipe = shell.getOutputStream();
    }

    /** Starts the watchdog, or returns null when this JVM cannot say how to start tether again. */
    public static CrashWatchdog start() {
        List<String> sweep = sweepCommand();
        if (sweep == null) {
            return null;
        }
        List<String> argv = new ArrayList<>(List.of("setsid", "sh", "-c",
                "read -r line; [ \"$line\" = done ] || exec \"$@\" >/dev/null 2>&1", "tether-watchdog"));
        argv.addAll(sweep);
        try {
            ProcessBuilder pb = new ProcessBuilder(argv).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .redirectError(ProcessBuilder.Redirect.DISCARD);
            return new CrashWatchdog(pb.start());
        } catch (IOException e) {
            return null;
        }
    }

    static List<String> sweepCommand() {
        String java = ProcessHandle.current().info().command().orElse(null);
        String cp = System.getProperty("java.class.path");
        if (java == null || cp == null || cp.isEmpty()) {
            return null;
        }
        return List.of(java, "--enable-native-access=ALL-UNNAMED", "-cp", absolute(cp), "dev.tether.cli.Main", "sweep");
    }

    private static String absolute(String classPath) {
        List<String> out = new ArrayList<>();
        for (String e : classPath.split(":")) {
            out.add(Path.of(e).toAbsolutePath().toString());
        }
        return String.join(":", out);
    }

    /** The session ended normally and cleaned up itself: the watchdog exits without sweeping. */
    @Override
    public void close() {
        try {
            pipe.write("done\n".getBytes(StandardCharsets.US_ASCII));
            pipe.close();
        } catch (IOException e) {
            // the watchdog is gone already
        }
    }
}
