package dev.tether.sandbox.oci;

import dev.tether.kernel.cgroup.MountTable;
import dev.tether.kernel.cgroup.SandboxCgroup;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * On hybrid hosts the engine (runc with cgroupfs) also creates the session's path in every cgroup
 * v1 hierarchy ({@code /sys/fs/cgroup/pids/tether/SESSION/...}, conmon's included) and leaves the
 * directories behind. They hold no process once the container is gone; this removes them.
 */
public final class LegacyCgroups {
    private LegacyCgroups() {}

    public static List<Path> hierarchies() {
        List<Path> out = new ArrayList<>();
        for (MountTable.Mount m : MountTable.read().ofType("cgroup")) {
            out.add(m.mountPoint());
        }
        return out;
    }

    public static void removeSession(String sessionId) {
        for (Path h : hierarchies()) {
            Path dir = h.resolve(SandboxCgroup.PARENT).resolve(sessionId);
            if (Files.isDirectory(dir)) {
                removeTree(dir);
                try {
                    Files.deleteIfExists(dir.getParent()); // fails while other sessions exist: fine
                } catch (IOException e) {
                    // in use
                }
            }
        }
    }

    /** Session ids that have a v1 directory in some hierarchy. */
    public static List<String> sessions() {
        List<String> out = new ArrayList<>();
        for (Path h : hierarchies()) {
            try (Stream<Path> s = Files.list(h.resolve(SandboxCgroup.PARENT))) {
                s.filter(Files::isDirectory).map(p -> p.getFileName().toString()).filter(id -> !out.contains(id)).forEach(out::add);
            } catch (IOException e) {
                // no tether directory in this hierarchy
            }
        }
        return out;
    }

    private static void removeTree(Path dir) {
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.filter(Files::isDirectory).sorted(Comparator.reverseOrder()).toList()) {
                for (int attempt = 0; attempt < 50; attempt++) {
                    try {
                        Files.deleteIfExists(p);
                        break;
                    } catch (IOException e) {
                        // EBUSY while the last task of the cgroup exits
                        try {
                            Thread.sleep(10);
                        } catch (InterruptedException ie) {
                            Thread.currentThread().interrupt();
                            return;
                        }
                    }
                }
            }
        } catch (IOException e) {
            // gone already
        }
    }
}
