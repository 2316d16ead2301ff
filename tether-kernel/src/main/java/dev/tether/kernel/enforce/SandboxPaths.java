package dev.tether.kernel.enforce;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Optional;

/**
 * Resolves a path the way the sandbox would, from the host. Walking {@code /proc/<pid>/root/...}
 * enters the sandbox's root, but the kernel resolves an absolute symbolic link met on the way
 * against the walker's own root (the host's): ld-linux in a container image is such a link. So
 * every component is resolved here, absolute link targets restarting at the sandbox's root.
 */
final class SandboxPaths {
    private static final int MAX_LINKS = 40;

    private SandboxPaths() {}

    /** The host path (under /proc/PID/root) of the file {@code path} names inside the sandbox. */
    static Optional<Path> resolve(int tid, String path) {
        Path root = Path.of("/proc", Integer.toString(tid), "root");
        Deque<String> todo = new ArrayDeque<>();
        push(todo, path);
        Deque<String> done = new ArrayDeque<>();
        int links = 0;
        try {
            while (!todo.isEmpty()) {
                String c = todo.pop();
                if (c.isEmpty() || c.equals(".")) {
                    continue;
                }
                if (c.equals("..")) {
                    if (!done.isEmpty()) {
                        done.removeLast();
                    }
                    continue;
                }
                done.addLast(c);
                Path here = root.resolve(String.join("/", done));
                if (Files.isSymbolicLink(here)) {
                    if (++links > MAX_LINKS) {
                        return Optional.empty();
                    }
                    String target = Files.readSymbolicLink(here).toString();
                    done.removeLast();
                    if (target.startsWith("/")) {
                        done.clear();
                    }
                    push(todo, target);
                }
            }
        } catch (IOException e) {
            return Optional.empty();
        }
        Path resolved = root.resolve(String.join("/", done));
        return Files.exists(resolved, LinkOption.NOFOLLOW_LINKS) ? Optional.of(resolved) : Optional.empty();
    }

    /** Pushes {@code path}'s components so that the first is popped first, ahead of what is queued. */
    private static void push(Deque<String> todo, String path) {
        String[] parts = path.split("/");
        for (int i = parts.length - 1; i >= 0; i--) {
            todo.push(parts[i]);
        }
    }
}
