package dev.tether.kernel.cgroup;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

/**
 * The cgroup2 directory of one sandbox session, {@code <cgroup2>/tether/<session>}. Everything the
 * sandbox runs lives in it or below it, which is how the BPF programs scope themselves and how
 * cleanup finds every process.
 */
public final class SandboxCgroup implements AutoCloseable {
    /** Parent of all session cgroups; sessions therefore sit at a fixed level the BPF side knows. */
    public static final String PARENT = "tether";

    private final Cgroup2Hierarchy hierarchy;
    private final Path dir;
    private final long id;

    private SandboxCgroup(Cgroup2Hierarchy hierarchy, Path dir) {
        this.hierarchy = hierarchy;
        this.dir = dir;
        this.id = Cgroup2Hierarchy.idOf(dir);
    }

    public static SandboxCgroup create(Cgroup2Hierarchy hierarchy, String sessionId) {
        if (!sessionId.matches("[A-Za-z0-9_.-]{1,64}")) {
            throw new IllegalArgumentException("bad session id for a cgroup name: " + sessionId);
        }
        Path parent = hierarchy.mountPoint().resolve(PARENT);
        Path dir = parent.resolve(sessionId);
        // The shared parent comes and goes: the last session to close removes it (close()). When
        // another session removes it between our mkdirs, mkdir says EEXIST for a directory that is
        // gone, or ENOENT for ours: make both again.
        for (int attempt = 1; ; attempt++) {
            try {
                Files.createDirectories(parent);
                Files.createDirectory(dir);
                return new SandboxCgroup(hierarchy, dir);
            } catch (NoSuchFileException | FileAlreadyExistsException e) {
                boolean parentRace = e instanceof NoSuchFileException || parent.toString().equals(e.getFile());
                if (!parentRace || attempt >= 20) {
                    throw new UncheckedIOException("cannot create sandbox cgroup " + dir, e);
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot create sandbox cgroup " + dir, e);
            }
        }
    }

    /** Takes over an existing session cgroup (e.g. one a crashed tether left) to clean it up. */
    public static SandboxCgroup adopt(Cgroup2Hierarchy hierarchy, Path dir) {
        return new SandboxCgroup(hierarchy, dir);
    }

    /** Level of session cgroups in the hierarchy (root = 0). */
    public static int sessionLevel(Cgroup2Hierarchy hierarchy) {
        return hierarchy.levelOf(hierarchy.mountPoint().resolve(PARENT).resolve("x"));
    }

    public Path dir() {
        return dir;
    }

    public long id() {
        return id;
    }

    public int level() {
        return hierarchy.levelOf(dir);
    }

    /** Writing a pid here moves that process (and its future children) into the sandbox. */
    public Path procsFile() {
        return dir.resolve("cgroup.procs");
    }

    /** Pids in this cgroup and every descendant. */
    public List<Long> pids() {
        try (var walk = Files.walk(dir)) {
            return walk.filter(p -> p.getFileName().toString().equals("cgroup.procs"))
                    .flatMap(p -> {
                        try {
                            return Files.readAllLines(p).stream();
                        } catch (IOException e) {
                            return java.util.stream.Stream.empty(); // a cgroup removed under us
                        }
                    })
                    .filter(s -> !s.isBlank())
                    .map(Long::parseLong)
                    .toList();
        } catch (NoSuchFileException e) {
            return List.of();
        } catch (IOException | UncheckedIOException e) {
            return List.of();
        }
    }

    public boolean isPopulated() {
        try {
            for (String line : Files.readAllLines(dir.resolve("cgroup.events"))) {
                if (line.startsWith("populated ")) {
                    return line.endsWith("1");
                }
            }
        } catch (IOException e) {
            return !pids().isEmpty();
        }
        return !pids().isEmpty();
    }

    /** SIGKILLs every process in the subtree at once (cgroup.kill, Linux ≥ 5.14). */
    public void kill() {
        try {
            Files.writeString(dir.resolve("cgroup.kill"), "1");
        } catch (NoSuchFileException e) {
            // already removed
        } catch (IOException e) {
            // Older kernels: kill pid by pid until the cgroup is empty.
            for (long pid : pids()) {
                ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
            }
        }
    }

    /**
     * Kills every process in the cgroup and waits (bounded, about a second, killing again on the
     * way) until the kernel has reaped them all: from then on nothing runs in the sandbox.
     *
     * @return whether it is empty
     */
    public boolean killAndAwaitEmpty() {
        kill();
        for (int attempt = 0; attempt < 500 && isPopulated(); attempt++) {
            sleepQuietly(2);
            if (attempt % 50 == 49) {
                kill();
            }
        }
        return !isPopulated();
    }

    /**
     * Kills what is left and removes the directory and its descendants. Waits (bounded) for the
     * kernel to reap the processes, since a populated cgroup cannot be removed.
     */
    @Override
    public void close() {
        if (!Files.exists(dir)) {
            return;
        }
        killAndAwaitEmpty();
        removeTree(dir);
        // The shared parent goes too when this was the last session (EBUSY otherwise: fine).
        try {
            Files.deleteIfExists(dir.getParent());
        } catch (IOException e) {
            // another session still lives there
        }
    }

    private static void removeTree(Path dir) {
        try (var walk = Files.walk(dir)) {
            // cgroup directories hold only kernel files; rmdir children before parents.
            for (Path p : walk.filter(Files::isDirectory).sorted(java.util.Comparator.reverseOrder()).toList()) {
                for (int attempt = 0; attempt < 200; attempt++) {
                    try {
                        Files.deleteIfExists(p);
                        break;
                    } catch (DirectoryNotEmptyException e) {
                        sleepQuietly(5);
                    } catch (FileSystemException e) {
                        // EBUSY while the last task exits
                        sleepQuietly(5);
                    }
                }
            }
        } catch (NoSuchFileException e) {
            // gone already
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove sandbox cgroup " + dir, e);
        }
        if (Files.exists(dir)) {
            throw new IllegalStateException("sandbox cgroup " + dir + " could not be removed: still populated");
        }
    }

    private static void sleepQuietly(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        return dir + " (id " + id + ")";
    }
}
