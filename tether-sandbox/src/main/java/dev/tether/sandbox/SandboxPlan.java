package dev.tether.sandbox;

import dev.tether.sandbox.net.PublishedPort;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Everything about a sandbox decided before it starts (from options, config and agent profile);
 * the session cgroup is added at start.
 *
 * @param network whether to give the sandbox tether's network namespace (false: no network at all)
 * @param dnsUpstream where DNS queries to the gateway go until a tether DNS server takes them
 *     over ({@link dev.tether.sandbox.net.SandboxNetwork#redirectDns}); null: none
 * @param limits caps on the sandbox's tasks and memory
 */
public record SandboxPlan(String sessionId, List<String> command, Path projectDir, Path workdir, Map<String, String> env,
                          String hostname, RootFs root, List<BindMount> mounts, List<PublishedPort> publish, boolean tty,
                          Path caCertificate, boolean network, InetAddress dnsUpstream,
                          dev.tether.sandbox.limits.SessionLimits limits) {
    /** A plan with the default limits. */
    public SandboxPlan(String sessionId, List<String> command, Path projectDir, Path workdir, Map<String, String> env,
                       String hostname, RootFs root, List<BindMount> mounts, List<PublishedPort> publish, boolean tty,
                       Path caCertificate, boolean network, InetAddress dnsUpstream) {
        this(sessionId, command, projectDir, workdir, env, hostname, root, mounts, publish, tty, caCertificate, network,
                dnsUpstream, dev.tether.sandbox.limits.SessionLimits.defaults());
    }

    public SandboxPlan {
        java.util.Objects.requireNonNull(limits, "limits");
        command = List.copyOf(command);
        env = Map.copyOf(env);
        mounts = List.copyOf(mounts);
        publish = List.copyOf(publish);
        if (!publish.isEmpty() && !network) {
            throw new IllegalArgumentException("publishing ports needs the sandbox network");
        }
    }

    /**
     * This plan with its command run through {@code wrapper} (a program mounted read-only from the
     * host, which execs the rest of its arguments), given {@code wrapperArgs} and extra environment.
     */
    public SandboxPlan wrappedBy(BindMount wrapper, List<String> wrapperArgs, Map<String, String> extraEnv) {
        List<BindMount> all = new java.util.ArrayList<>(mounts);
        all.add(wrapper);
        List<String> cmd = new java.util.ArrayList<>();
        cmd.add(wrapper.target());
        cmd.addAll(wrapperArgs);
        cmd.addAll(command);
        Map<String, String> e = new java.util.LinkedHashMap<>(env);
        e.putAll(extraEnv);
        return new SandboxPlan(sessionId, cmd, projectDir, workdir, e, hostname, root, all, publish, tty,
                caCertificate, network, dnsUpstream, limits);
    }

    /** This plan with {@code extra} mounted after its own mounts (so they win where they overlap). */
    public SandboxPlan withMounts(List<BindMount> extra) {
        List<BindMount> all = new java.util.ArrayList<>(mounts);
        all.addAll(extra);
        return new SandboxPlan(sessionId, command, projectDir, workdir, env, hostname, root, all, publish, tty,
                caCertificate, network, dnsUpstream, limits);
    }
}
