package dev.tether.sandbox.limits;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Puts {@link SessionLimits} on a sandbox the built-in engine runs (container engines set them
 * through their own flags). Where the session's cgroup2 directory has the {@code pids} and
 * {@code memory} controllers (a pure cgroup2 host) the limits go there; on hybrid hosts, where
 * cgroup2 carries no controllers, the session gets a directory of its own in the v1
 * {@code pids} and {@code memory} hierarchies, at the same relative path as its cgroup2 one
 * ({@code tether/SESSION}: where runc puts a container's v1 directories too, so one sweep
 * removes both), and the sandbox's first process joins them before the command runs.
 *
 * <p>A limit asked for that no controller can hold is reported by {@link #unenforced()}, never
 * silently dropped.
 *
 * <p>Every session also gets a {@code cpu} group of its own, without a cap: the scheduler then
 * shares the CPU between the sandbox as a whole and each of the host's processes, not between each
 * of the sandbox's tasks and each of the host's, so a fork bomb's 4096 busy tasks cannot starve
 * the host or tether (podman and docker give a container the same).
 */
public final class LimitCgroups implements AutoCloseable {
    /** Parent of session directories in every hierarchy, as {@code SandboxCgroup.PARENT}. */
    public static final String PARENT = "tether";

    private final SessionLimits limits;
    private final List<Path> v1Dirs;
    private final List<String> enforcedBy;
    private final List<String> unenforced;

    private LimitCgroups(SessionLimits limits, List<Path> v1Dirs, List<String> enforcedBy, List<String> unenforced) {
        this.limits = limits;
        this.v1Dirs = List.copyOf(v1Dirs);
        this.enforcedBy = List.copyOf(enforcedBy);
        this.unenforced = List.copyOf(unenforced);
    }

    /**
     * Creates the limit cgroups of a session.
     *
     * @param sessionCgroup2 the session's cgroup2 directory ({@code <cgroup2>/tether/SESSION}), already created
     */
    public static LimitCgroups create(String sessionId, Path sessionCgroup2, SessionLimits limits) {
        return create(sessionId, sessionCgroup2, limits, v1Hierarchies(readMountinfo()));
    }

    static LimitCgroups create(String sessionId, Path sessionCgroup2, SessionLimits limits, Map<String, Path> v1) {
        if (!sessionId.matches("[A-Za-z0-9_.-]{1,64}")) {
            throw new IllegalArgumentException("bad session id " + sessionId);
        }
        List<Path> v1Dirs = new ArrayList<>();
        List<String> enforcedBy = new ArrayList<>();
        List<String> unenforced = new ArrayList<>();
        try {
            if (limits.capsPids()) {
                place("pids", "pids.max", Long.toString(limits.pids()), sessionId, sessionCgroup2, v1, v1Dirs, enforcedBy,
                        unenforced, null);
            }
            if (limits.capsMemory()) {
                String bytes = Long.toString(limits.memoryBytes());
                place("memory", "memory.max", bytes, sessionId, sessionCgroup2, v1, v1Dirs, enforcedBy, unenforced, bytes);
            }
            shareCpu(sessionId, sessionCgroup2, v1, v1Dirs, enforcedBy);
        } catch (RuntimeException e) {
            new LimitCgroups(limits, v1Dirs, enforcedBy, unenforced).close();
            throw e;
        }
        return new LimitCgroups(limits, v1Dirs, enforcedBy, unenforced);
    }

    private static void place(String controller, String v2File, String value, String sessionId, Path sessionCgroup2,
                              Map<String, Path> v1, List<Path> v1Dirs, List<String> enforcedBy, List<String> unenforced,
                              String memoryBytes) {
        if (sessionCgroup2 != null && enableV2(controller, sessionCgroup2, v2File)) {
            write(sessionCgroup2.resolve(v2File), value);
            if (memoryBytes != null && Files.exists(sessionCgroup2.resolve("memory.swap.max"))) {
                write(sessionCgroup2.resolve("memory.swap.max"), "0"); // the cap is on memory, not memory + swap
            }
            enforcedBy.add(controller + " (cgroup2)");
            return;
        }
        Path hierarchy = v1.get(controller);
        if (hierarchy == null) {
            unenforced.add(controller);
            return;
        }
        Path dir = v1Directory(hierarchy, sessionId, v1Dirs);
        if (memoryBytes == null) {
            write(dir.resolve("pids.max"), value);
        } else {
            write(dir.resolve("memory.limit_in_bytes"), memoryBytes);
            Path memsw = dir.resolve("memory.memsw.limit_in_bytes");
            if (Files.exists(memsw)) {
                write(memsw, memoryBytes); // no escape into swap (memsw must be set after, and ≥, the memory limit)
            }
        }
        enforcedBy.add(controller + " (cgroup v1)");
    }

    /**
     * A CPU group for the session, weight left at its default: a share, not a cap. Best effort (a
     * host without a usable {@code cpu} controller only loses the share), never a reason to refuse.
     */
    private static void shareCpu(String sessionId, Path sessionCgroup2, Map<String, Path> v1, List<Path> v1Dirs,
                                 List<String> enforcedBy) {
        if (sessionCgroup2 != null && enableV2("cpu", sessionCgroup2, "cpu.weight")) {
            enforcedBy.add("cpu share (cgroup2)");
            return;
        }
        Path hierarchy = v1.get("cpu");
        if (hierarchy != null) {
            v1Directory(hierarchy, sessionId, v1Dirs);
            enforcedBy.add("cpu share (cgroup v1)");
        }
    }

    private static Path v1Directory(Path hierarchy, String sessionId, List<Path> v1Dirs) {
        Path dir = hierarchy.resolve(PARENT).resolve(sessionId);
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + dir, e);
        }
        v1Dirs.add(dir);
        return dir;
    }

    /** Whether {@code controller} is (or can be made) available in the session's cgroup2 directory. */
    private static boolean enableV2(String controller, Path session, String controllerFile) {
        Path parent = session.getParent();
        Path root = parent.getParent();
        if (!available(root, controller)) {
            return false;
        }
        // Enabling in the root's and tether's subtree_control gives every session directory the files.
        try {
            Files.writeString(root.resolve("cgroup.subtree_control"), "+" + controller);
            Files.writeString(parent.resolve("cgroup.subtree_control"), "+" + controller);
        } catch (IOException e) {
            return false;
        }
        return Files.exists(session.resolve(controllerFile));
    }

    private static boolean available(Path cgroup, String controller) {
        try {
            return List.of(Files.readString(cgroup.resolve("cgroup.controllers")).strip().split("\\s+")).contains(controller);
        } catch (IOException e) {
            return false;
        }
    }

    private static void write(Path file, String value) {
        try {
            Files.writeString(file, value);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot set " + file + " to " + value + ": " + e.getMessage(), e);
        }
    }

    /** The v1 {@code cgroup.procs} files the sandbox's first process must join (empty with cgroup2 controllers). */
    public List<Path> procsFiles() {
        return v1Dirs.stream().map(d -> d.resolve("cgroup.procs")).toList();
    }

    /** Moves {@code pid} (the sandbox's first process, before it execs) into the v1 limit cgroups. */
    public void join(long pid) {
        for (Path procs : procsFiles()) {
            write(procs, Long.toString(pid));
        }
    }

    public SessionLimits limits() {
        return limits;
    }

    /** Which controllers hold the limits, e.g. {@code [pids (cgroup v1), memory (cgroup v1)]}. */
    public List<String> enforcedBy() {
        return enforcedBy;
    }

    /** Controllers a limit was asked of that this host does not have. */
    public List<String> unenforced() {
        return unenforced;
    }

    /** Removes the v1 directories (their processes must be gone: the session cgroup is killed first). */
    @Override
    public void close() {
        for (Path dir : v1Dirs) {
            removeTree(dir);
        }
    }

    /** Mount points of the v1 hierarchies by controller, from mountinfo's super options. */
    static Map<String, Path> v1Hierarchies(String mountinfo) {
        Map<String, Path> out = new LinkedHashMap<>();
        for (String line : mountinfo.split("\n")) {
            int sep = line.indexOf(" - ");
            if (sep < 0) {
                continue;
            }
            String[] pre = line.substring(0, sep).split(" ");
            String[] post = line.substring(sep + 3).split(" ");
            if (pre.length < 5 || post.length < 3 || !post[0].equals("cgroup")) {
                continue;
            }
            for (String opt : post[2].split(",")) {
                if (opt.equals("pids") || opt.equals("memory") || opt.equals("cpu")) {
                    out.putIfAbsent(opt, Path.of(pre[4].replace("\\040", " ")));
                }
            }
        }
        return out;
    }

    private static String readMountinfo() {
        try {
            return Files.readString(Path.of("/proc/self/mountinfo"));
        } catch (IOException e) {
            return "";
        }
    }

    /** What the limits did during a session, read from its cgroups (v1 and cgroup2, containers' sub-directories included). */
    public record Usage(long pidsLimitHits, long oomKills, long memoryPeakBytes) {
        public boolean anyHit() {
            return pidsLimitHits > 0 || oomKills > 0;
        }
    }

    /**
     * Reads the session's limit counters wherever they are: tether's own v1 directories, the
     * ones runc made for a container below them, and the cgroup2 session directory.
     */
    public static Usage usage(String sessionId, Path sessionCgroup2) {
        Map<String, Path> v1 = v1Hierarchies(readMountinfo());
        List<Path> roots = new ArrayList<>();
        Optional.ofNullable(v1.get("pids")).ifPresent(h -> roots.add(h.resolve(PARENT).resolve(sessionId)));
        Optional.ofNullable(v1.get("memory")).ifPresent(h -> roots.add(h.resolve(PARENT).resolve(sessionId)));
        if (sessionCgroup2 != null) {
            roots.add(sessionCgroup2);
        }
        long pidsHits = 0;
        long oom = 0;
        long peak = 0;
        for (Path root : roots) {
            for (Path dir : dirs(root)) {
                pidsHits += keyed(dir.resolve("pids.events"), "max");
                oom += keyed(dir.resolve("memory.oom_control"), "oom_kill");
                oom += keyed(dir.resolve("memory.events.local"), "oom_kill");
                peak = Math.max(peak, single(dir.resolve("memory.max_usage_in_bytes")));
                peak = Math.max(peak, single(dir.resolve("memory.peak")));
            }
        }
        return new Usage(pidsHits, oom, peak);
    }

    private static List<Path> dirs(Path root) {
        if (!Files.isDirectory(root)) {
            return List.of();
        }
        try (Stream<Path> walk = Files.walk(root)) {
            return walk.filter(Files::isDirectory).toList();
        } catch (IOException | UncheckedIOException e) {
            return List.of(root);
        }
    }

    private static long keyed(Path file, String key) {
        try {
            for (String line : Files.readAllLines(file)) {
                String[] f = line.strip().split("\\s+");
                if (f.length == 2 && f[0].equals(key)) {
                    return Long.parseLong(f[1]);
                }
            }
        } catch (IOException | NumberFormatException e) {
            // not this controller here
        }
        return 0;
    }

    private static long single(Path file) {
        try {
            return Long.parseLong(Files.readString(file).strip());
        } catch (IOException | NumberFormatException e) {
            return 0;
        }
    }

    private static void removeTree(Path dir) {
        if (!Files.isDirectory(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.filter(Files::isDirectory).sorted(Comparator.reverseOrder()).toList()) {
                for (int attempt = 0; attempt < 100; attempt++) {
                    try {
                        Files.deleteIfExists(p);
                        break;
                    } catch (IOException e) {
                        sleep(); // EBUSY while the last task exits
                    }
                }
            }
        } catch (IOException | UncheckedIOException e) {
            // gone already
        }
        try {
            Files.deleteIfExists(dir.getParent()); // other sessions keep it busy: fine
        } catch (IOException e) {
            // in use
        }
    }

    private static void sleep() {
        try {
            Thread.sleep(10);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
