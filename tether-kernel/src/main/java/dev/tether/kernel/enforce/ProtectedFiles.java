package dev.tether.kernel.enforce;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Files the sandbox may never write (the policy in force, tether's config, its installation) or
 * never open at all (the CA private key), whatever the policy says: a sandbox that could edit the
 * policy would grant itself rights on the next reload. Matched by device and inode, so no other
 * name (hard link, bind mount, /proc path) gets around it. Those files are replaced by rename when
 * edited (a new inode; the old number may be reused by an unrelated file), so the identities are
 * taken again by {@link #refresh} whenever one of them changes.
 */
public final class ProtectedFiles {
    private final List<Path> noWritePaths = new ArrayList<>();
    private final List<Path> noOpenPaths = new ArrayList<>();
    private final java.util.Map<Path, String> trustedProgramPaths = new java.util.LinkedHashMap<>();
    private volatile Set<FileKey> noWrite = Set.of();
    private volatile Set<FileKey> noOpen = Set.of();
    private volatile java.util.Map<FileKey, String> trustedPrograms = java.util.Map.of();
    /** The directories holding a protected file, and whether one of those files has another name too. */
    private volatile Set<FileKey> holders = Set.of();
    private volatile boolean linkedElsewhere;

    public ProtectedFiles protectFromWrites(Path p) {
        noWritePaths.add(p);
        refresh();
        return this;
    }

    public ProtectedFiles protectFromOpens(Path p) {
        noOpenPaths.add(p);
        refresh();
        return this;
    }

    /**
     * A program of tether's own that the sandbox may run whatever the policy says, because it can
     * only take rights away (the {@code --lock} helper, which applies a Landlock ruleset and then
     * execs the command, whose exec is judged as usual). It is mounted read-only into the sandbox.
     *
     * @param what how the approval names it
     */
    public ProtectedFiles trustForExec(Path p, String what) {
        synchronized (this) {
            trustedProgramPaths.put(p, what);
            noWritePaths.add(p);
        }
        refresh();
        return this;
    }

    /** What the trusted program with this identity is, or null when it is none of them. */
    public String trustedProgram(FileKey key) {
        return key == null ? null : trustedPrograms.get(key);
    }

    /** Takes the identities of the protected paths again (after one was replaced). */
    public synchronized void refresh() {
        java.util.Map<FileKey, String> trusted = new java.util.HashMap<>();
        trustedProgramPaths.forEach((p, what) -> key(p).ifPresent(k -> trusted.put(k, what)));
        trustedPrograms = java.util.Map.copyOf(trusted);
        noWrite = noWritePaths.stream().map(ProtectedFiles::key).flatMap(Optional::stream).collect(Collectors.toUnmodifiableSet());
        noOpen = noOpenPaths.stream().map(ProtectedFiles::key).flatMap(Optional::stream).collect(Collectors.toUnmodifiableSet());
        List<Path> all = new ArrayList<>(noWritePaths);
        all.addAll(noOpenPaths);
        holders = all.stream().map(p -> p.toAbsolutePath().getParent()).filter(java.util.Objects::nonNull)
                .map(ProtectedFiles::key).flatMap(Optional::stream).collect(Collectors.toUnmodifiableSet());
        linkedElsewhere = all.stream().anyMatch(ProtectedFiles::hasSeveralNames);
    }

    /**
     * Whether the directory {@code dir} may hold a protected file under some name: it is the
     * directory of one, or a protected file has more than one name (a hard link could be
     * anywhere). Links made later cannot reach a directory of the sandbox's: the protected files
     * it sees are on read-only mounts of their own, and a link across mounts fails (EXDEV).
     */
    public boolean mayHold(FileKey dir) {
        return linkedElsewhere || holders.contains(dir);
    }

    private static boolean hasSeveralNames(Path p) {
        try {
            return Files.exists(p) && ((Number) Files.getAttribute(p, "unix:nlink")).intValue() > 1;
        } catch (IOException | UnsupportedOperationException e) {
            return true; // cannot tell: assume the worst
        }
    }

    /** Null when allowed; otherwise why not. */
    public String refusal(FileKey key, boolean write) {
        if (noOpen.contains(key)) {
            return "tether protects this file from the sandbox: it may never be opened";
        }
        if (write && noWrite.contains(key)) {
            return "tether protects this file from the sandbox: it may never be written (policy, config or installation)";
        }
        return null;
    }

    public boolean isEmpty() {
        return noWrite.isEmpty() && noOpen.isEmpty();
    }

    static Optional<FileKey> key(Path p) {
        try {
            if (!Files.exists(p)) {
                return Optional.empty();
            }
            long dev = ((Number) Files.getAttribute(p, "unix:dev")).longValue();
            long ino = ((Number) Files.getAttribute(p, "unix:ino")).longValue();
            return Optional.of(new FileKey(dev, ino));
        } catch (IOException | UnsupportedOperationException e) {
            return Optional.empty();
        }
    }
}
