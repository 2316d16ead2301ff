package dev.tether.sandbox.oci;

import dev.tether.sandbox.BindMount;
import dev.tether.sandbox.CaBundle;
import dev.tether.sandbox.RootFs;
import dev.tether.sandbox.SandboxEngine;
import dev.tether.sandbox.SandboxPlan;
import dev.tether.sandbox.SandboxProcess;
import dev.tether.sandbox.SandboxSpec;
import dev.tether.sandbox.SessionFiles;
import dev.tether.sandbox.net.HostCommands;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A sandbox run by a container engine's CLI ({@code podman run} / {@code docker run}), rootful.
 * The container is created inside the session cgroup ({@code --cgroup-parent}, so tether's BPF
 * programs, scoped to the session cgroup and its descendants, see its first instruction), joins
 * the network namespace tether prepared, is removed when it exits ({@code --rm}) and carries
 * tether's session label so a sweeper finds it if tether dies first.
 */
public final class ContainerEngine implements SandboxEngine {
    /** The label every tether container carries; its value is the session id. */
    public static final String SESSION_LABEL = "dev.tether.session";
    public static final String NAME_PREFIX = "tether-";

    private final EngineKind kind;
    private final Path binary;
    private final HostLimits limits;

    public ContainerEngine(EngineKind kind, Path binary, HostLimits limits) {
        this.kind = kind;
        this.binary = binary;
        this.limits = limits;
    }

    /** The engine found on PATH (or its usual place). */
    public static ContainerEngine detect(EngineKind kind) {
        return new ContainerEngine(kind, kind.locate(), HostLimits.ofThisProcess());
    }

    public EngineKind kind() {
        return kind;
    }

    public Path binary() {
        return binary;
    }

    @Override
    public String name() {
        return kind.cliName();
    }

    @Override
    public String unavailableReason() {
        if (!Files.isExecutable(binary)) {
            return kind.cliName() + " is not installed" + (kind == EngineKind.PODMAN ? ": apt install podman runc" : "");
        }
        if (kind == EngineKind.DOCKER) {
            Path socket = Path.of("/var/run/docker.sock");
            if (!Files.exists(socket)) {
                return "no docker daemon is running (/var/run/docker.sock is missing)";
            }
            // A socket file outlives a daemon that was killed: only a connection says it runs.
            try (var ch = java.nio.channels.SocketChannel.open(java.net.UnixDomainSocketAddress.of(socket))) {
                return null;
            } catch (java.io.IOException e) {
                return "no docker daemon answers on " + socket + " (" + e.getMessage() + ")";
            }
        }
        return null;
    }

    /** Inside the container: where the start gate FIFO is mounted. */
    static final String GATE = "/run/tether-gate";

    @Override
    public SandboxProcess launch(SandboxSpec spec, StartHook beforeCommand) {
        String reason = unavailableReason();
        if (reason != null) {
            throw new IllegalStateException(reason);
        }
        if (kind == EngineKind.DOCKER && spec.network() != null && !isHolding(spec.sessionId())) {
            // docker only joins namespaces of other containers, never a namespace file: without
            // the holder (holdNetwork) the sandbox would not be in tether's network.
            throw new IllegalStateException("docker can only join tether's network namespace through its holder container "
                    + holderName(spec.sessionId()) + ", which is not running");
        }
        Path files = SessionFiles.dir(spec.sessionId());
        Path envFile = writeEnvFile(spec.env(), files.resolve("env"));
        Path caBundle = spec.caCertificate() == null ? null
                : CaBundle.write(CaBundle.systemBundleOf(spec.root()), spec.caCertificate(), files.resolve("ca-bundle.crt"));
        Path gate = beforeCommand == StartHook.NONE ? null : ContainerGate.create(files);
        List<String> argv = runArguments(spec, envFile, caBundle, gate);
        Process p;
        try {
            p = new ProcessBuilder(argv).inheritIO().start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + binary + ": " + e.getMessage(), e);
        }
        if (gate != null) {
            try {
                ContainerGate.open(p, gate, spec.cgroup().procsFile().getParent(), beforeCommand);
            } catch (IOException | RuntimeException e) {
                p.destroyForcibly();
                throw new IllegalStateException("cannot start the container under enforcement: " + e.getMessage(), e);
            }
        }
        return new ContainerProcess(p, this, spec.sessionId());
    }

    /**
     * docker joins only the network namespace of another container ({@code --network container:X}),
     * never a namespace file. So for docker a holder container ({@code tether-SESSION-net}, no
     * network of docker's, nothing but a sleep) owns the namespace; tether binds it to
     * {@code /run/netns/tether-SESSION} and configures it like its own before the command's
     * container joins it. The holder also owns the sandbox's hostname (docker refuses
     * {@code --hostname} with a container network).
     */
    @Override
    public Optional<NetworkHolder> holdNetwork(SandboxPlan plan) {
        if (kind != EngineKind.DOCKER) {
            return Optional.empty();
        }
        String reason = unavailableReason();
        if (reason != null) {
            throw new IllegalStateException(reason);
        }
        if (!(plan.root() instanceof RootFs.Image image)) {
            throw new IllegalArgumentException("docker needs an image (tether image build imports one), not " + plan.root());
        }
        String name = holderName(plan.sessionId());
        HostCommands cmd = new HostCommands();
        List<String> run = new ArrayList<>(List.of(binary.toString(), "run", "-d", "--name", name,
                "--label", SESSION_LABEL + "=" + plan.sessionId(), "--hostname", plan.hostname(), "--network", "none",
                "--pull=never", "--log-driver=none", "--entrypoint=", "--cap-drop", "ALL", "--pids-limit", "8"));
        run.addAll(ulimitArguments());
        run.addAll(List.of(image.reference(), "sleep", "2147483647"));
        HolderProcess holder = new HolderProcess(this, name);
        try {
            cmd.require(run, null, "starting docker's network holder container " + name);
            String pid = cmd.require(List.of(binary.toString(), "inspect", "--format", "{{.State.Pid}}", name), null,
                    "reading the pid of " + name).strip();
            if (!pid.matches("[1-9][0-9]*")) {
                throw new IllegalStateException("docker reports no running process for " + name + " (pid '" + pid + "')");
            }
            holder.namespace = Path.of("/proc", pid, "ns", "net");
            return Optional.of(holder);
        } catch (RuntimeException e) {
            holder.close();
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

    /** The name of docker's network holder container of a session. */
    public static String holderName(String sessionId) {
        return containerName(sessionId) + "-net";
    }

    private boolean isHolding(String sessionId) {
        var r = new HostCommands().run(List.of(binary.toString(), "inspect", "--format", "{{.State.Running}}",
                holderName(sessionId)), null);
        return r.ok() && r.stdout().strip().equals("true");
    }

    private static final class HolderProcess implements NetworkHolder {
        private final ContainerEngine engine;
        private final String name;
        private Path namespace;

        HolderProcess(ContainerEngine engine, String name) {
            this.engine = engine;
            this.name = name;
        }

        @Override
        public Path namespace() {
            return namespace;
        }

        @Override
        public void close() {
            new HostCommands().run(List.of(engine.binary().toString(), "rm", "-f", name), null);
        }
    }

    private List<String> ulimitArguments() {
        // Without CAP_SYS_RESOURCE the engine's default limits can exceed the hard limits and the
        // runtime fails with EPERM: ask for exactly what this host grants.
        return List.of("--ulimit", "nofile=" + limits.nofile() + ":" + limits.nofile(),
                "--ulimit", "nproc=" + limits.nproc() + ":" + limits.nproc());
    }

    /** The {@code run} command line without a start gate (package-private for tests). */
    List<String> runArguments(SandboxSpec spec, Path envFile, Path caBundle) {
        return runArguments(spec, envFile, caBundle, null);
    }

    /**
     * The {@code run} command line (package-private for tests). With a {@code gate}, the command
     * runs behind a shell that waits on the gate FIFO, so enforcement can attach to the
     * container's mounts before the command's first instruction.
     */
    List<String> runArguments(SandboxSpec spec, Path envFile, Path caBundle, Path gate) {
        List<String> a = new ArrayList<>();
        a.add(binary.toString());
        if (kind == EngineKind.PODMAN) {
            // Needed for --cgroup-parent to name a plain cgroup directory (and what works on
            // hybrid hosts); podman's default may be systemd where systemd runs.
            a.add("--cgroup-manager=cgroupfs");
            if (kind.runcAvailable()) {
                a.add("--runtime=runc"); // crun fails on hybrid cgroup hosts (see docs/platform.md)
            }
        }
        a.add("run");
        a.addAll(List.of("--rm", "--name", containerName(spec.sessionId()), "--label", SESSION_LABEL + "=" + spec.sessionId(),
                "--cgroup-parent", spec.cgroup().cgroupPath(),
                "--pull=never", "--log-driver=none", "--entrypoint="));
        if (kind == EngineKind.PODMAN || spec.network() == null) {
            a.addAll(List.of("--hostname", spec.hostname())); // docker: the network holder has it
        }
        a.add("-i");
        if (spec.tty()) {
            a.add("-t");
        }
        a.addAll(ulimitArguments());
        // The engine's own cgroup limits (v1 on hybrid hosts, cgroup2 elsewhere) on the container.
        if (spec.limits().capsPids()) {
            a.addAll(List.of("--pids-limit", Long.toString(spec.limits().pids())));
        } else if (kind == EngineKind.PODMAN) {
            a.addAll(List.of("--pids-limit", "-1")); // podman's own default (2048) would apply otherwise
        }
        if (spec.limits().capsMemory()) {
            String bytes = Long.toString(spec.limits().memoryBytes());
            a.addAll(List.of("--memory", bytes, "--memory-swap", bytes));
        }
        if (spec.network() != null) {
            a.addAll(List.of("--network", kind == EngineKind.PODMAN ? "ns:" + spec.network().namespace()
                    : "container:" + holderName(spec.sessionId())));
            a.addAll(List.of("-v", spec.network().resolvConf() + ":/etc/resolv.conf:ro",
                    "-v", spec.network().hosts() + ":/etc/hosts:ro"));
        } else {
            a.addAll(List.of("--network", "none"));
        }
        if (caBundle != null) {
            a.addAll(List.of("-v", caBundle + ":" + SandboxSpec.CA_BUNDLE + ":ro"));
        }
        String project = spec.projectDir().toString();
        // A read-only mount of the whole project (it is tether's own, say) replaces the project's
        // mount at that name: engines refuse two mounts at one destination.
        java.util.function.Predicate<String> readOnlyAt = target -> spec.mounts().stream()
                .anyMatch(m -> m.readOnly() && m.target().equals(target) && m.host().equals(spec.projectDir()));
        a.addAll(List.of("-v", project + ":" + project + (readOnlyAt.test(project) ? ":ro" : ":rw"),
                "-v", project + ":/workspace" + (readOnlyAt.test("/workspace") ? ":ro" : ":rw")));
        for (BindMount m : spec.mounts()) {
            if (m.host().equals(spec.projectDir()) && (m.target().equals(project) || m.target().equals("/workspace"))
                    && m.readOnly()) {
                continue;
            }
            a.addAll(List.of("-v", m.toVolumeArgument()));
        }
        if (gate != null) {
            a.addAll(List.of("-v", gate + ":" + GATE + ":ro"));
        }
        // Packet sockets bypass address rules and the kernel's socket hook; nothing needs them.
        a.addAll(List.of("--cap-drop", "NET_RAW"));
        a.addAll(List.of("-w", spec.workdir().toString()));
        // The environment goes through a root-only file, not the command line (API keys would be
        // visible in /proc/PID/cmdline to every user).
        a.addAll(List.of("--env-file", envFile.toString()));
        switch (spec.root()) {
            case RootFs.Image image -> a.add(image.reference());
            case RootFs.Directory dir -> {
                if (kind != EngineKind.PODMAN) {
                    throw new IllegalArgumentException("docker cannot run a rootfs directory; import it as an image");
                }
                a.addAll(List.of("--rootfs", dir.path() + ":O"));
            }
            case RootFs.HostSystem h -> throw new IllegalArgumentException(kind.cliName()
                    + " needs an image; the host system root is for the built-in engine");
        }
        if (gate != null) {
            a.addAll(List.of("/bin/sh", "-c", "read _ < " + GATE + " && exec \"$@\"", "tether-gate"));
        }
        a.addAll(spec.command());
        return a;
    }

    static Path writeEnvFile(Map<String, String> env, Path file) {
        StringBuilder b = new StringBuilder();
        for (Map.Entry<String, String> e : env.entrySet()) {
            if (!e.getKey().matches("[A-Za-z_][A-Za-z0-9_]*")) {
                throw new IllegalArgumentException("environment variable name '" + e.getKey() + "' is not valid");
            }
            if (e.getValue().indexOf('\n') >= 0 || e.getValue().indexOf('\0') >= 0) {
                throw new IllegalArgumentException("environment variable " + e.getKey()
                        + " has a newline in its value, which " + "an env file cannot carry");
            }
            b.append(e.getKey()).append('=').append(e.getValue()).append('\n');
        }
        try {
            Files.deleteIfExists(file);
            Files.createFile(file, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                    java.nio.file.attribute.PosixFilePermissions.fromString("rw-------")));
            Files.writeString(file, b);
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write env file " + file, e);
        }
    }

    public static String containerName(String sessionId) {
        return NAME_PREFIX + sessionId;
    }
}
