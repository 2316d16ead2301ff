package dev.tether.sandbox;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * What to run and how it sees the host.
 *
 * @param command the program and its arguments, as given by the user
 * @param projectDir mounted read-write at its own path and at /workspace
 * @param workdir the working directory inside the sandbox
 * @param env the complete environment inside (nothing is inherited implicitly)
 * @param cgroupProcs the sandbox cgroup's {@code cgroup.procs}: the first process joins it before
 *     anything of the command runs
 * @param hostname the sandbox's UTS hostname
 * @param readOnly host paths inside the project that the sandbox sees read-only whatever else is
 *     mounted (tether's policy directory): a read-only mount also stops rename and unlink
 */
public record SandboxSpec(
        List<String> command, Path projectDir, Path workdir, Map<String, String> env, Path cgroupProcs, String hostname,
        List<Path> readOnly) {
    public SandboxSpec {
        command = List.copyOf(command);
        env = Map.copyOf(env);
        readOnly = List.copyOf(readOnly);
        if (command.isEmpty()) {
            throw new IllegalArgumentException("empty command");
        }
    }
}
