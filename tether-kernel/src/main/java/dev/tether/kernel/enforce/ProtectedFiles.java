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
    private volatile Set<FileKey> noWrite = Set.of();
    private volatile Set<FileKey> noOpen = Set.of();

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

    /** Takes the identities of the protected paths again (after one was replaced). */
    public synchronized void refresh() {
        noWrite = noWritePaths.stream().map(ProtectedFiles::key).flatMap(Optional::stream).collect(Collectors.toUnmodifiableSet());
        noOpen = noOpenPaths.stream().map(ProtectedFiles::key).flatMap(Optional::stream).collect(Collectors.toUnmodifiableSet());
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
