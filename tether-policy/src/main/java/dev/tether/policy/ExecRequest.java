package dev.tether.policy;

import java.util.List;
import java.util.Objects;

/**
 * Executing a program. The resource is {@code File::"<path>"} (same directory membership as
 * {@link FileRequest}); the context holds {@code argv}, the set of arguments after the program
 * name, and {@code args}, those arguments joined by single spaces.
 *
 * @param path absolute path of the executable (as resolved by the kernel)
 * @param argv the argument vector as passed to execve, {@code argv[0]} included
 */
public record ExecRequest(Principal principal, String path, List<String> argv) implements Request {
    public ExecRequest {
        Objects.requireNonNull(principal, "principal");
        Objects.requireNonNull(path, "path");
        argv = List.copyOf(argv);
    }

    @Override
    public Action action() {
        return Action.PROCESS_EXEC;
    }
}
