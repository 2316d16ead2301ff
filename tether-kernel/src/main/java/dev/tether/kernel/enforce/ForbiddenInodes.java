package dev.tether.kernel.enforce;

import dev.tether.kernel.ffm.LibC;
import dev.tether.policy.Decision;
import dev.tether.policy.PolicyRef;
import dev.tether.policy.PolicySnapshot;
import dev.tether.policy.compile.CompiledPolicy;
import dev.tether.policy.compile.CompiledSnapshot;
import dev.tether.policy.ir.ParsedPolicy;
import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * What a policy forbids in the project, by identity rather than by name. Inside the project the
 * sandbox can rename and hard-link (fanotify sees opens, not renames), so a forbidden file could
 * otherwise be read under a permitted name; the project is scanned when a policy takes effect and
 * every file a forbid denies is remembered by device and inode. Files whose writes are forbidden
 * and directories in which creating files is forbidden are also listed so the sandbox can mount
 * them read-only, which stops rename and link into them as well, and unlink, rename and link of them.
 *
 * @param denyRead inode → the decision that forbids reading it
 * @param denyWrite inode → the decision that forbids writing it
 * @param readOnlyPaths host paths (files and directories) whose writes a forbid denies
 * @param truncated true when the project, or what forbids reach outside it, had more entries than
 *                  scanned (said on stderr; files beyond are protected by name only)
 * @param confined every forbidden inode has one name; in the project it lies at or below one of
 *                 {@code readOnlyPaths} (once those are mounted read-only, no forbidden file there
 *                 can be renamed or linked anywhere else); outside it, on a read-only mount or on
 *                 one of {@code writableMounts} (true when there is none)
 * @param writableMounts the sandbox mounts (mount ids) on which a forbidden file outside the
 *                 project lies writable: a rename or link can give it another name on the same
 *                 mount, never on another (EXDEV)
 */
public record ForbiddenInodes(Map<FileKey, Decision> denyRead, Map<FileKey, Decision> denyWrite,
                              List<Path> readOnlyPaths, boolean truncated, int scanned, boolean confined,
                              Set<Long> writableMounts) {
    public static final int DEFAULT_LIMIT = 200_000;
    private static final String PROBE = ".tether-new-file-probe";

    public ForbiddenInodes {
        denyRead = Map.copyOf(denyRead);
        denyWrite = Map.copyOf(denyWrite);
        readOnlyPaths = List.copyOf(readOnlyPaths);
        writableMounts = Set.copyOf(writableMounts);
    }

    public static ForbiddenInodes none() {
        return new ForbiddenInodes(Map.of(), Map.of(), List.of(), false, 0, true, Set.of());
    }

    /** The decision forbidding this open of {@code key}, or null. */
    public Decision forbids(FileKey key, boolean write) {
        if (key == null) {
            return null;
        }
        Decision d = denyRead.get(key);
        if (d == null && write) {
            d = denyWrite.get(key);
        }
        return d;
    }

    /**
     * Scans {@code project} (seen in the sandbox at its own path) under {@code policy}, visiting
     * at most {@code limit} entries. Symbolic links are not followed.
     */
    public static ForbiddenInodes scan(Path project, FileAccessJudge judge, SessionPolicy policy, int limit) throws IOException {
        Map<FileKey, Decision> denyRead = new HashMap<>();
        Map<FileKey, Decision> denyWrite = new HashMap<>();
        List<Path> readOnly = new ArrayList<>();
        List<Path> forbiddenNames = new ArrayList<>();
        boolean[] severalNames = {false};
        CountedWalk walk = new CountedWalk(limit) {
            @Override
            FileVisitResult directory(Path dir) {
                Decision create = forbidden(judge.openByPolicy(policy, dir.resolve(PROBE).toString(), true));
                if (create != null) {
                    readOnly.add(dir);
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            void regularFile(Path file) {
                String path = file.toString();
                Decision read = forbidden(judge.openByPolicy(policy, path, false));
                Decision write = forbidden(judge.openByPolicy(policy, path, true));
                FileKey key = read == null && write == null ? null : ProtectedFiles.key(file).orElse(null);
                if (key == null) {
                    return; // permitted (the common case: no stat), or gone
                }
                if (read != null) {
                    denyRead.put(key, read);
                }
                if (write != null) {
                    denyWrite.put(key, write);
                    // Read-only even when reading it is forbidden too (every open of it is refused
                    // anyway): then it can be neither deleted nor renamed or linked elsewhere.
                    readOnly.add(file);
                }
                forbiddenNames.add(file);
                severalNames[0] |= linkCount(file) != 1;
            }
        };
        Files.walkFileTree(project, Set.of(), Integer.MAX_VALUE, walk);
        // A directory already read-only covers what is inside it.
        List<Path> outermost = readOnly.stream()
                .filter(p -> readOnly.stream().noneMatch(q -> !q.equals(p) && p.startsWith(q)))
                .toList();
        boolean confined = !severalNames[0]
                && forbiddenNames.stream().allMatch(f -> outermost.stream().anyMatch(f::startsWith));
        return new ForbiddenInodes(denyRead, denyWrite, outermost, walk.cut, walk.seen(), confined, Set.of());
    }

    /** Entries walked outside the project at most (beyond, files are protected by name only). */
    public static final int OUTSIDE_LIMIT = 20_000;
    /** Pseudo file systems: the gate never judges opens there, so they are not walked. */
    private static final List<String> PSEUDO = List.of("/proc", "/sys", "/dev");

    /**
     * The files forbids deny outside the project, as the running sandbox sees them (through
     * {@code /proc/PID/root}), by device and inode. A container's own root file system is one
     * writable mount, so a hard link made there ({@code ln /etc/shadow /tmp/s}) would otherwise
     * reach a forbidden file under a permitted name. Walks what
     * {@link PolicySnapshot#forbiddenFileReach} names, skipping the project (scanned on its own),
     * pseudo file systems and symbolic links; at most {@code limit} entries ({@code truncated}
     * beyond). {@code readOnlyPaths} stays empty: tether mounts nothing here. Confined when each
     * forbidden file found has one name; those on writable mounts name their mount in
     * {@code writableMounts} (a link of them can only be made there).
     *
     * @param projectNames the project's paths in the sandbox (its own path, {@code /workspace})
     */
    public static ForbiddenInodes scanOutside(int sandboxPid, List<String> projectNames, FileAccessJudge judge,
                                              SessionPolicy policy, LibC libc, int limit) {
        Map<FileKey, Decision> denyRead = new HashMap<>();
        Map<FileKey, Decision> denyWrite = new HashMap<>();
        Path root = Path.of("/proc", Integer.toString(sandboxPid), "root");
        boolean[] confined = {true};
        Set<Long> writableMounts = new java.util.HashSet<>();
        List<String> skipped = new ArrayList<>(projectNames);
        skipped.addAll(PSEUDO);
        // One walk for every path the forbids reach: they share the limit.
        CountedWalk walk = new CountedWalk(limit) {
            @Override
            FileVisitResult directory(Path dir) {
                return under(inSandbox(root, dir), skipped) ? FileVisitResult.SKIP_SUBTREE : FileVisitResult.CONTINUE;
            }

            @Override
            void regularFile(Path file) {
                String path = inSandbox(root, file);
                Decision read = forbidden(judge.openByPolicy(policy, path, false));
                Decision write = forbidden(judge.openByPolicy(policy, path, true));
                FileKey key = read == null && write == null ? null : ProtectedFiles.key(file).orElse(null);
                if (key == null) {
                    return;
                }
                if (read != null) {
                    denyRead.put(key, read);
                }
                if (write != null) {
                    denyWrite.put(key, write);
                }
                confined[0] &= linkCount(file) == 1;
                long mount = writableMountOf(file, libc);
                if (mount == UNKNOWN_MOUNT) {
                    confined[0] = false;
                } else if (mount != READ_ONLY) {
                    writableMounts.add(mount);
                }
            }
        };
        for (var reach : policy.snapshot().forbiddenFileReach(policy.principal())) {
            if (walk.cut || under(reach.path(), skipped)) {
                continue;
            }
            Optional<Path> start = SandboxPaths.resolve(sandboxPid, reach.path());
            if (start.isEmpty()) {
                continue; // not there (yet): protected by name
            }
            // /proc/PID/root itself is a (magic) link, which the walk would not follow: enter it.
            Path from = start.get().equals(root) ? root.resolve(".") : start.get();
            try {
                Files.walkFileTree(from, Set.of(), reach.hierarchy() ? Integer.MAX_VALUE : 0, walk);
            } catch (IOException e) {
                walk.cut = true; // cannot tell what is there: counted as not seen whole
            }
        }
        return new ForbiddenInodes(denyRead, denyWrite, List.of(), walk.cut, walk.seen(), confined[0],
                writableMounts);
    }

    /** This scan of the project together with what {@link #scanOutside} found outside it. */
    public ForbiddenInodes withOutside(ForbiddenInodes outside) {
        Map<FileKey, Decision> read = new HashMap<>(outside.denyRead);
        read.putAll(denyRead);
        Map<FileKey, Decision> write = new HashMap<>(outside.denyWrite);
        write.putAll(denyWrite);
        Set<Long> mounts = new java.util.HashSet<>(writableMounts);
        mounts.addAll(outside.writableMounts);
        return new ForbiddenInodes(read, write, readOnlyPaths, truncated || outside.truncated, scanned + outside.scanned,
                confined && outside.confined, mounts);
    }

    /** {@code file} (under {@code root}, the sandbox's root seen from the host) as the sandbox names it. */
    private static String inSandbox(Path root, Path file) {
        return "/" + root.relativize(file.normalize());
    }

    private static boolean under(String path, List<String> tops) {
        for (String top : tops) {
            if (path.equals(top) || path.startsWith(top.endsWith("/") ? top : top + "/")) {
                return true;
            }
        }
        return false;
    }

    private static final long READ_ONLY = -1;
    private static final long UNKNOWN_MOUNT = -2;

    /** The mount id of {@code file}'s mount when it is writable, {@link #READ_ONLY}, or {@link #UNKNOWN_MOUNT}. */
    private static long writableMountOf(Path file, LibC libc) {
        int fd;
        try {
            fd = libc.open(file.toString(), LibC.O_PATH);
        } catch (RuntimeException e) {
            return UNKNOWN_MOUNT;
        }
        try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
            if (libc.onReadOnlyMount(fd)) {
                return READ_ONLY;
            }
            java.lang.foreign.MemorySegment buf = arena.allocate(LibC.STATX_SIZE, 8);
            if (libc.statx(fd, buf) != 0) {
                return UNKNOWN_MOUNT;
            }
            long mount = FanotifyGate.Stat.of(buf).mntId();
            return mount < 0 ? UNKNOWN_MOUNT : mount;
        } finally {
            libc.close(fd);
        }
    }

    /**
     * A walk that visits at most {@code limit} entries (then stops, {@code cut}), does not follow
     * symbolic links, passes over entries it cannot read and hands on directories and regular
     * files only.
     */
    private abstract static class CountedWalk extends SimpleFileVisitor<Path> {
        private final int limit;
        private int seen;
        boolean cut;

        CountedWalk(int limit) {
            this.limit = limit;
        }

        /** A directory about to be entered: CONTINUE, or SKIP_SUBTREE to pass it over. */
        abstract FileVisitResult directory(Path dir);

        abstract void regularFile(Path file);

        @Override
        public final FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
            return spent() ? FileVisitResult.TERMINATE : directory(dir);
        }

        @Override
        public final FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
            if (spent()) {
                return FileVisitResult.TERMINATE;
            }
            if (attrs.isRegularFile()) {
                regularFile(file);
            }
            return FileVisitResult.CONTINUE;
        }

        @Override
        public final FileVisitResult visitFileFailed(Path file, IOException exc) {
            return FileVisitResult.CONTINUE;
        }

        private boolean spent() {
            if (++seen > limit) {
                cut = true;
            }
            return cut;
        }

        int seen() {
            return Math.min(seen, limit);
        }
    }

    /** Whether no forbidden inode was found. */
    public boolean isEmpty() {
        return denyRead.isEmpty() && denyWrite.isEmpty();
    }

    private static int linkCount(Path file) {
        try {
            return ((Number) Files.getAttribute(file, "unix:nlink", java.nio.file.LinkOption.NOFOLLOW_LINKS)).intValue();
        } catch (IOException | RuntimeException e) {
            return -1; // cannot tell: counted as more than one name
        }
    }

    /**
     * Whether {@code snapshot} has no forbid statement at all. Only a matching forbid gives a
     * denial with determining statements ({@link #forbidden}), so the scan under such a policy
     * is empty whatever the project holds: it need not walk it.
     */
    public static boolean forbidsNothing(PolicySnapshot snapshot) {
        return snapshot instanceof CompiledSnapshot cs && cs.policies().stream().allMatch(CompiledPolicy::permit);
    }

    /**
     * This result (scanned under {@code previous}) for {@code next}, when a scan under
     * {@code next} would find the same inodes: {@code next} has the same forbid statements, in
     * the same order, with the same scopes and conditions, and the same principal directory (a
     * denial with determining statements comes only from matching forbids, so permits do not
     * matter). The decisions are re-pointed at {@code next}'s statements (positional ids and
     * lines move when statements are added above a forbid). Empty when the forbids differ, or
     * when either snapshot is not a compiled one: then only a new scan will do.
     *
     * <p>It is the answer of the previous scan: what changed in the project since then (a file
     * created and hard-linked since) is only found by the next scan, as between reloads.
     */
    public Optional<ForbiddenInodes> carriedOver(PolicySnapshot previous, PolicySnapshot next) {
        if (!(previous instanceof CompiledSnapshot before) || !(next instanceof CompiledSnapshot after)
                || !before.directory().equals(after.directory())) {
            return Optional.empty();
        }
        List<CompiledPolicy> was = before.policies().stream().filter(c -> !c.permit()).toList();
        List<CompiledPolicy> now = after.policies().stream().filter(c -> !c.permit()).toList();
        if (was.size() != now.size()) {
            return Optional.empty();
        }
        Map<PolicyRef, Moved> moved = new HashMap<>();
        for (int i = 0; i < was.size(); i++) {
            if (!sameMeaning(was.get(i).parsed(), now.get(i).parsed())) {
                return Optional.empty();
            }
            moved.put(was.get(i).ref(), new Moved(was.get(i), now.get(i)));
        }
        Map<FileKey, Decision> read = new HashMap<>();
        Map<FileKey, Decision> write = new HashMap<>();
        Map<Decision, Decision> repointed = new HashMap<>(); // many inodes share one decision
        for (var e : denyRead.entrySet()) {
            Decision d = repointed.computeIfAbsent(e.getValue(), old -> repoint(old, moved));
            if (d == null) {
                return Optional.empty();
            }
            read.put(e.getKey(), d);
        }
        for (var e : denyWrite.entrySet()) {
            Decision d = repointed.computeIfAbsent(e.getValue(), old -> repoint(old, moved));
            if (d == null) {
                return Optional.empty();
            }
            write.put(e.getKey(), d);
        }
        return Optional.of(new ForbiddenInodes(read, write, readOnlyPaths, truncated, scanned, confined, writableMounts));
    }

    private static boolean sameMeaning(ParsedPolicy a, ParsedPolicy b) {
        return a.permit() == b.permit() && a.principalScope().equals(b.principalScope())
                && a.actionScope().equals(b.actionScope()) && a.resourceScope().equals(b.resourceScope())
                && a.conditions().equals(b.conditions());
    }

    /** A forbid statement in the previous policy and its counterpart in the next. */
    private record Moved(CompiledPolicy was, CompiledPolicy now) {}

    /** {@code d} with its statements replaced by their counterparts in the next policy; null if one has none. */
    private static Decision repoint(Decision d, Map<PolicyRef, Moved> moved) {
        if (d.determining().isEmpty()) {
            return null; // not a forbid's decision: never in a scan's result
        }
        List<PolicyRef> refs = new ArrayList<>();
        for (PolicyRef r : d.determining()) {
            Moved m = moved.get(r);
            if (m == null) {
                return null;
            }
            refs.add(m.now().ref());
        }
        // The reason starts with the first determining statement's pre-rendered explanation.
        Moved first = moved.get(d.determining().getFirst());
        String reason = d.reason().startsWith(first.was().explained())
                ? first.now().explained() + d.reason().substring(first.was().explained().length()) : d.reason();
        return new Decision(d.allowed(), refs, reason);
    }

    /** The decision when a forbid (not the default deny) refuses it. */
    private static Decision forbidden(Decision d) {
        return !d.allowed() && !d.determining().isEmpty() ? d : null;
    }
}
