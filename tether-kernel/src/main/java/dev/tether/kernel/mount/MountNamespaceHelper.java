package dev.tether.kernel.mount;

import dev.tether.kernel.BundledProgram;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Edits a sandbox's mounts through the {@code tether-mounts} program (tether_mounts.c, statically
 * linked by the build, shipped in the jar at {@code /bpf/tether-mounts}). Only a single-threaded
 * process can enter a mount namespace, and mounts can only be changed from inside theirs.
 *
 * @param program the installed helper ({@link #install})
 * @param sandboxPid a process of the sandbox (its mount namespace and root are entered)
 * @param fanotify {@code TETHER_PID:FD:MASK} of the file gate, so every new mount is marked before
 *     it is attached; null when no gate watches the sandbox
 */
public record MountNamespaceHelper(Path program, long sandboxPid, String fanotify) implements SandboxMountEditor {
    private static final String RESOURCE = "/bpf/tether-mounts";
    private static final long TIMEOUT_SECONDS = 10;

    /** Writes the helper to {@code target} (mode 0700: only tether runs it) and returns it. */
    public static Path install(Path target) {
        return new BundledProgram(RESOURCE).install(target, "rwx------");
    }

    @Override
    public Map<MountChange, String> apply(List<MountChange> changes) {
        Map<MountChange, String> failed = new LinkedHashMap<>();
        if (changes.isEmpty()) {
            return failed;
        }
        List<String> command = new ArrayList<>(List.of(program.toString(), "--pid", Long.toString(sandboxPid)));
        if (fanotify != null) {
            command.addAll(List.of("--fanotify", fanotify));
        }
        for (MountChange c : changes) {
            command.add(c.kind().operation());
            command.add(c.path());
        }
        String output = "";
        String whole;
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            // Read while it runs (a long report would fill the pipe and stall it), bounded in time.
            java.util.concurrent.CompletableFuture<String> report = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                try {
                    return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                } catch (IOException e) {
                    return "";
                }
            }, Thread::startVirtualThread);
            if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                whole = "tether-mounts did not finish in " + TIMEOUT_SECONDS + " s";
            } else {
                output = report.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
                whole = p.exitValue() == 2 ? output.strip() : null;
            }
        } catch (IOException | java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            whole = "cannot run " + program + ": " + e.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            whole = "interrupted";
        }
        // Every change not reported "ok" failed: a helper that died half way applied only those it said.
        Map<String, String> reported = new LinkedHashMap<>();
        for (String line : output.split("\n")) {
            if (line.startsWith("ok ")) {
                reported.put(line.substring(3), null);
            } else if (line.startsWith("error ")) {
                int colon = line.lastIndexOf(": ");
                if (colon > 6) {
                    reported.put(line.substring(6, colon), line.substring(colon + 2));
                }
            }
        }
        for (MountChange c : changes) {
            String key = c.toString();
            if (!reported.containsKey(key)) {
                failed.put(c, whole != null ? whole : "tether-mounts did not report it");
            } else if (reported.get(key) != null) {
                failed.put(c, reported.get(key));
            }
        }
        return failed;
    }
}
