package dev.tether.kernel.cgroup;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Optional;

/**
 * The unified (v2) cgroup hierarchy: where it is mounted (/sys/fs/cgroup on pure v2 hosts,
 * /sys/fs/cgroup/unified on hybrid ones) and how deep a directory sits in it, which is what
 * {@code bpf_get_current_ancestor_cgroup_id(level)} counts.
 */
public record Cgroup2Hierarchy(Path mountPoint, String mountRoot) {

    public static Optional<Cgroup2Hierarchy> find(MountTable mounts) {
        // Prefer the mount of the hierarchy root; among equals, the shortest path.
        return mounts.ofType("cgroup2").stream()
                .sorted(Comparator.comparing((MountTable.Mount m) -> !m.root().equals("/"))
                        .thenComparing(m -> m.mountPoint().toString().length()))
                .map(m -> new Cgroup2Hierarchy(m.mountPoint(), m.root()))
                .findFirst();
    }

    /** Depth of {@code dir} below the hierarchy root (the root is level 0). */
    public int levelOf(Path dir) {
        Path rel = mountPoint.relativize(dir.toAbsolutePath().normalize());
        int below = rel.toString().isEmpty() ? 0 : rel.getNameCount();
        int rootDepth = mountRoot.equals("/") ? 0 : Path.of(mountRoot).getNameCount();
        return rootDepth + below;
    }

    /** A cgroup2 id is the inode number of its directory. */
    public static long idOf(Path dir) {
        try {
            return ((Number) Files.getAttribute(dir, "unix:ino")).longValue();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot stat cgroup " + dir, e);
        }
    }

    /** The cgroup2 path of a process relative to the hierarchy ("0::/x/y" in /proc/PID/cgroup). */
    public static Optional<String> cgroupOf(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "cgroup"))) {
                if (line.startsWith("0::")) {
                    return Optional.of(line.substring(3));
                }
            }
            return Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }
}
