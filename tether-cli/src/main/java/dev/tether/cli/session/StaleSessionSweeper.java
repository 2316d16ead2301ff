package dev.tether.cli.session;

import dev.tether.kernel.cgroup.Cgroup2Hierarchy;
import dev.tether.kernel.cgroup.SandboxCgroup;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Removes what a crashed tether left behind: session cgroups (killing anything still in them,
 * since it runs unwatched) whose session lock nobody holds.
 */
public final class StaleSessionSweeper {
    private StaleSessionSweeper() {}

    /** @return the session ids swept */
    public static List<String> sweep(Cgroup2Hierarchy hierarchy, Path lockDir) {
        Path parent = hierarchy.mountPoint().resolve(SandboxCgroup.PARENT);
        List<String> swept = new ArrayList<>();
        if (!Files.isDirectory(parent)) {
            return swept;
        }
        List<Path> dirs;
        try (Stream<Path> s = Files.list(parent)) {
            dirs = s.filter(Files::isDirectory).toList();
        } catch (IOException e) {
            return swept;
        }
        for (Path dir : dirs) {
            String id = dir.getFileName().toString();
            // Only what tether run creates: a session takes its lock before its cgroup exists, so a
            // session-shaped cgroup without a held lock belongs to a tether that died.
            if (SessionIds.isSessionId(id) && SessionLock.isStale(lockDir, id)) {
                SandboxCgroup.adopt(hierarchy, dir).close();
                SessionLock.deleteStale(lockDir, id);
                swept.add(id);
            }
        }
        return swept;
    }
}
