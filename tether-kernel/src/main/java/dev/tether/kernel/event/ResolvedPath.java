package dev.tether.kernel.event;

/**
 * An absolute path the kernel built from dentries and mounts, up to the task's root: the path as
 * the sandbox sees it, after symlinks (see path.h).
 *
 * @param path the path, in escaped form when {@code escaped}
 * @param truncated the walk stopped before the root (deeper than 4096 bytes): {@code path} holds
 *     the components it found, without the leading part, and does not start with {@code /}
 * @param unreachable the object is not below the task's root (another mount namespace, a pipe
 *     or socket, a detached mount): {@code path} is relative to whatever root the walk met
 */
public record ResolvedPath(String path, boolean escaped, boolean truncated, boolean unreachable) {

    /** True when {@link #path} is a complete absolute path in the task's view. */
    public boolean complete() {
        return !truncated && !unreachable;
    }
}
