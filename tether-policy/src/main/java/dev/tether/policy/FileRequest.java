package dev.tether.policy;

import java.util.Objects;

/**
 * Opening a file. The resource is {@code File::"<normalised path>"}, a member of
 * {@code Dir::"<d>/"} and {@code Dir::"<d>"} for every directory {@code d} on the path,
 * including the path itself (so {@code Dir::"/workspace/"} covers {@code /workspace} and
 * everything under it, by path component: never {@code /workspacedata}).
 *
 * @param action one of {@link Action#FILE_OPEN}, {@link Action#FILE_OPEN_READ_ONLY},
 *     {@link Action#FILE_OPEN_READ_WRITE}
 * @param path an absolute path; {@code .}, {@code ..}, {@code //} and a trailing {@code /} are
 *     normalised away by the engine (the kernel layers pass resolved paths)
 */
public record FileRequest(Principal principal, Action action, String path) implements Request {
    public FileRequest {
        Objects.requireNonNull(principal, "principal");
        Objects.requireNonNull(path, "path");
        if (action == null || !action.isFileOpen()) {
            throw new IllegalArgumentException("a file request needs a FileOpen action, not " + action);
        }
    }
}
