package dev.tether.sandbox;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * What to run and how it sees the host.
 *
 * @param sessionId tether's session id: names and labels everything the sandbox creates, so a
 *     sweeper can find it after a crash
 * @param command the program and its arguments, as given by the user
 * @param projectDir mounted read-write at its own path and at /workspace
 * @param workdir the working directory inside the sandbox
 * @param env the complete environment inside (nothing is inherited implicitly)
 * @param cgroup the session cgroup the sandbox's first process joins before the command runs
 * @param hostname the sandbox's UTS hostname
 * @param root the root file system
 * @param mounts extra bind mounts (volumes, agent config directories), applied after the project
 * @param network the network namespace to join, or null for a sandbox with no network at all
 * @param tty whether to give the command a terminal of its own (engines that allocate one)
 * @param caCertificate a PEM CA certificate to add to the sandbox's trust store, or null
 * @param limits caps on the sandbox's tasks and memory, applied by the engine
 */
public record SandboxSpec(
        String sessionId,
        List<String> command,
        Path projectDir,
        Path workdir,
        Map<String, String> env,
        SessionCgroupPlacement cgroup,
        String hostname,
        RootFs root,
        List<BindMount> mounts,
        NetworkAttachment network,
        boolean tty,
        Path caCertificate,
        dev.tether.sandbox.limits.SessionLimits limits) {

    /** A spec with no limits (tests and callers that set none). */
    public SandboxSpec(String sessionId, List<String> command, Path projectDir, Path workdir, Map<String, String> env,
                       SessionCgroupPlacement cgroup, String hostname, RootFs root, List<BindMount> mounts,
                       NetworkAttachment network, boolean tty, Path caCertificate) {
        this(sessionId, command, projectDir, workdir, env, cgroup, hostname, root, mounts, network, tty, caCertificate,
                dev.tether.sandbox.limits.SessionLimits.NONE);
    }

    /** Where the CA certificate appears inside the sandbox (update-ca-certificates picks it up there). */
    public static final String CA_TARGET = "/usr/local/share/ca-certificates/tether-ca.crt";
    /** The system bundle inside a Debian-family sandbox once tether's CA has been added to it. */
    public static final String CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt";

    public SandboxSpec {
        java.util.Objects.requireNonNull(limits, "limits");
        command = List.copyOf(command);
        env = Map.copyOf(env);
        mounts = List.copyOf(mounts);
        if (command.isEmpty()) {
            throw new IllegalArgumentException("empty command");
        }
        if (!sessionId.matches("[A-Za-z0-9_.-]{1,64}")) {
            throw new IllegalArgumentException("bad session id " + sessionId);
        }
    }

    /**
     * The session cgroup, in the two forms engines need.
     *
     * @param procsFile the session cgroup's {@code cgroup.procs} (the built-in engine writes its pid 1 there)
     * @param cgroupPath the cgroup's path relative to the cgroup2 root, e.g. {@code /tether/SESSION}
     *     (container engines take it as {@code --cgroup-parent})
     */
    public record SessionCgroupPlacement(Path procsFile, String cgroupPath) {}
}
