package dev.tether.kernel.enforce;

import dev.tether.policy.Decision;
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
import java.util.Set;

/**
 * What a policy forbids in the project, by identity rather than by name. Inside the project the
 * sandbox can rename and hard-link (fanotify sees opens, not renames), so a forbidden file could
 * otherwise be read under a permitted name; the project is scanned when a policy takes effect and
 * every file a forbid denies is remembered by device and inode. Files whose writes are forbidden
 * and directories in which creating files is forbidden are also listed so the sandbox can mount
 * them read-only, which stops rename and link into them as well.
 *
 * @param denyRead inode → the decision that forbids reading it
 * @param denyWrite inode → the decision that forbids writing it
 * @param readOnlyPaths host paths (files and directories) whose writes a forbid denies
 * @param truncated true when the project had more entries than scanned (named in a gap event)
 */
public record ForbiddenInodes(Map<FileKey, Decision> denyRead, Map<FileKey, Decision> denyWrite,
                              List<Path> readOnlyPaths, boolean truncated, int scanned) {
    public static final int DEFAULT_LIMIT = 200_000;
    private static final String PROBE = ".tether-new-file-probe";

    public ForbiddenInodes {
        denyRead = Map.copyOf(denyRead);
        denyWrite = Map.copyOf(denyWrite);
        readOnlyPaths = List.copyOf(readOnlyPaths);
    }

    public static ForbiddenInodes none() {
        return new ForbiddenInodes(Map.of(), Map.of(), List.of(), false, 0);
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
        int[] seen = {0};
        boolean[] cut = {false};
        Files.walkFileTree(project, Set.of(), Integer.MAX_VALUE, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                if (++seen[0] > limit) {
                    cut[0] = true;
                    return FileVisitResult.TERMINATE;
                }
                Decision create = forbidden(judge.openByPolicy(policy, dir.resolve(PROBE).toString(), true));
                if (create != null) {
                    readOnly.add(dir);
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                if (++seen[0] > limit) {
                    cut[0] = true;
                    return FileVisitResult.TERMINATE;
                }
                if (!attrs.isRegularFile()) {
                    return FileVisitResult.CONTINUE;
                }
                FileKey key = ProtectedFiles.key(file).orElse(null);
                if (key == null) {
                    return FileVisitResult.CONTINUE;
                }
                String path = file.toString();
                Decision read = forbidden(judge.openByPolicy(policy, path, false));
                Decision write = forbidden(judge.openByPolicy(policy, path, true));
                if (read != null) {
                    denyRead.put(key, read);
                }
                if (write != null) {
                    denyWrite.put(key, write);
                    if (read == null) {
                        readOnly.add(file);
                    }
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException exc) {
                return FileVisitResult.CONTINUE;
            }
        });
        // A directory already read-only covers what is inside it.
        List<Path> outermost = readOnly.stream()
                .filter(p -> readOnly.stream().noneMatch(q -> !q.equals(p) && p.startsWith(q)))
                .toList();
        return new ForbiddenInodes(denyRead, denyWrite, outermost, cut[0], Math.min(seen[0], limit));
    }

    /** The decision when a forbid (not the default deny) refuses it. */
    private static Decision forbidden(Decision d) {
        return !d.allowed() && !d.determining().isEmpty() ? d : null;
    }
}
