package dev.tether.kernel.mount;

import java.util.Objects;

/**
 * One change to a running sandbox's mounts, at a path as the sandbox names it.
 *
 * @param kind what to do
 * @param path absolute, as seen inside the sandbox
 */
public record MountChange(Kind kind, String path) {
    public MountChange {
        Objects.requireNonNull(kind, "kind");
        if (path == null || !path.startsWith("/")) {
            throw new IllegalArgumentException("a mount change needs an absolute path, not " + path);
        }
    }

    /** What {@code tether-mounts} does at the path (its operation names). */
    public enum Kind {
        /** The mount whose root is the path becomes read-only. */
        READ_ONLY("ro"),
        /** The mount whose root is the path becomes writable. */
        WRITABLE("rw"),
        /** A writable copy of the tree at the path (mounts below it keep their flags) is attached over it. */
        BIND_WRITABLE("bind-rw"),
        /** A read-only copy of the tree at the path is attached over it. */
        BIND_READ_ONLY("bind-ro"),
        /** The mount at the path is made read-only, then detached. */
        DETACH("detach");

        private final String operation;

        Kind(String operation) {
            this.operation = operation;
        }

        public String operation() {
            return operation;
        }
    }

    @Override
    public String toString() {
        return kind.operation() + " " + path;
    }
}
