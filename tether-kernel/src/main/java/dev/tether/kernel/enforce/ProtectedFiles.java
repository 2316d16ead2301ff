package dev.tether.kernel.enforce;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;

/**
 * Files the sandbox may never write (the policy in force, tether's config, its installation) or
 * never open at all (the CA private key), whatever the policy says: a sandbox that could edit the
 * policy would grant itself rights on the next reload. Matched by device and inode, so no other
 * name (hard link, bind mount, /proc path) gets around it.
 */
public final class ProtectedFiles {
    private final Set<FileKey> noWrite = new HashSet<>();
    private final Set<FileKey> noOpen = new HashSet<>();

    public ProtectedFiles protectFromWrites(Path p) {
        key(p).ifPresent(noWrite::add);
        return this;
    }

    public ProtectedFiles protectFromOpens(Path p) {
        key(p).ifPresent(noOpen::add);
        return this;
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

    static java.util.Optional<FileKey> key(Path p) {
        try {
            if (!Files.exists(p)) {
                return java.util.Optional.empty();
            }
            long dev = ((Number) Files.getAttribute(p, "unix:dev")).longValue();
            long ino = ((Number) Files.getAttribute(p, "unix:ino")).longValue();
            return java.util.Optional.of(new FileKey(dev, ino));
        } catch (IOException | UnsupportedOperationException e) {
            return java.util.Optional.empty();
        }
    }
}
