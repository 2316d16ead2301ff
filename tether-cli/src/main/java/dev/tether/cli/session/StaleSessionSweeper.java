package dev.tether.cli.session;

import dev.tether.kernel.cgroup.Cgroup2Hierarchy;
import dev.tether.kernel.cgroup.SandboxCgroup;
import dev.tether.sandbox.SessionFiles;
import dev.tether.sandbox.net.SandboxNetwork;
import dev.tether.sandbox.oci.ContainerSweeper;
import dev.tether.sandbox.oci.LegacyCgroups;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Removes what a crashed (or killed) tether left behind, for every session whose lock nobody
 * holds: its cgroup (killing anything still in it, since it runs unwatched), its container, the
 * engine's cgroup v1 directories, its network namespace, veth and nft table, its scratch files and
 * its lock file. Cheap when there is nothing to sweep: only directory listings.
 */
public final class StaleSessionSweeper {
    private StaleSessionSweeper() {}

    /** @return the session ids swept */
    public static List<String> sweep(Cgroup2Hierarchy hierarchy, Path lockDir) {
        return sweep(hierarchy, lockDir, null);
    }

    /**
     * As {@link #sweep(Cgroup2Hierarchy, Path)}, never looking at {@code ownSession}: the session
     * this process runs and holds the lock of. Not even its lock is tried: a lock is an fcntl lock,
     * which closing any other descriptor of the file in this process would release.
     */
    public static List<String> sweep(Cgroup2Hierarchy hierarchy, Path lockDir, String ownSession) {
        Set<String> candidates = new LinkedHashSet<>();
        Path parent = hierarchy.mountPoint().resolve(SandboxCgroup.PARENT);
        candidates.addAll(dirNames(parent));
        candidates.addAll(LegacyCgroups.sessions());
        candidates.addAll(SessionFiles.sessions());
        for (String lock : fileNames(lockDir)) {
            if (lock.endsWith(".lock")) {
                candidates.add(lock.substring(0, lock.length() - ".lock".length()));
            }
        }
        List<String> swept = new ArrayList<>();
        for (String id : candidates) {
            // Only what tether run creates: a session takes its lock before anything else exists,
            // so a session-shaped name without a held lock belongs to a tether that died. Other
            // names (tests' or other tools' cgroups under tether/) are never touched.
            if (!isStaleSession(id, lockDir, ownSession)) {
                continue;
            }
            Path dir = parent.resolve(id);
            if (Files.isDirectory(dir)) {
                SandboxCgroup.adopt(hierarchy, dir).close(); // kills the sandbox's processes first
            }
            ContainerSweeper.removeSessionEverywhere(id);
            SessionFiles.delete(id);
            SessionLock.deleteStale(lockDir, id);
            swept.add(id);
        }
        for (String id : SandboxNetwork.sweep(id -> isStaleSession(id, lockDir, ownSession))) {
            if (!swept.contains(id)) {
                swept.add(id);
            }
        }
        return swept;
    }

    /**
     * Whether {@code id} names a session tether ran whose lock nobody holds. {@code ownSession}
     * (may be null) is never stale and its lock never tried: trying it opens and closes another
     * descriptor of the file, and closing any descriptor of a file releases this process's fcntl
     * locks on it (SessionLockTest).
     */
    static boolean isStaleSession(String id, Path lockDir, String ownSession) {
        return !id.equals(ownSession) && SessionIds.isSessionId(id) && SessionLock.isStale(lockDir, id);
    }

    private static List<String> dirNames(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(Files::isDirectory).map(p -> p.getFileName().toString()).toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    private static List<String> fileNames(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).toList();
        } catch (IOException e) {
            return List.of();
        }
    }
}
