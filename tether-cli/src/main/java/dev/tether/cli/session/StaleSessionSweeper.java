package dev.tether.cli.session;

import dev.tether.kernel.cgroup.Cgroup2Hierarchy;
import dev.tether.kernel.cgroup.SandboxCgroup;
import dev.tether.kernel.ffm.LibC;
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
    public static List<String> sweep(LibC libc, Cgroup2Hierarchy hierarchy, Path lockDir) {
        return sweep(libc, hierarchy, lockDir, null);
    }

    /**
     * As {@link #sweep(LibC, Cgroup2Hierarchy, Path)}, never sweeping {@code ownSession} (may be
     * null): the session this process runs and holds the lock of.
     */
    public static List<String> sweep(LibC libc, Cgroup2Hierarchy hierarchy, Path lockDir, String ownSession) {
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
            if (!isStaleSession(libc, id, lockDir, ownSession)) {
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
        for (String id : SandboxNetwork.sweep(id -> isStaleSession(libc, id, lockDir, ownSession))) {
            if (!swept.contains(id)) {
                swept.add(id);
            }
        }
        return swept;
    }

    /**
     * Whether {@code id} names a session tether ran whose lock nobody holds. {@code ownSession}
     * (may be null) is never stale: the probe would find its lock held anyway (SessionLock's
     * locks belong to their descriptor, and probes only test them), this only saves the look.
     */
    static boolean isStaleSession(LibC libc, String id, Path lockDir, String ownSession) {
        return !id.equals(ownSession) && SessionIds.isSessionId(id) && SessionLock.isStale(libc, lockDir, id);
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
