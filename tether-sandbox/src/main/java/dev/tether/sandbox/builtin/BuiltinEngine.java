package dev.tether.sandbox.builtin;

import dev.tether.kernel.ffm.LibC;
import dev.tether.sandbox.BindMount;
import dev.tether.sandbox.CaBundle;
import dev.tether.sandbox.CommandNotFoundException;
import dev.tether.sandbox.RootFs;
import dev.tether.sandbox.SessionFiles;
import dev.tether.sandbox.SandboxEngine;
import dev.tether.sandbox.SandboxProcess;
import dev.tether.sandbox.SandboxSpec;
import dev.tether.sandbox.limits.LimitCgroups;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The sandbox tether carries itself, for hosts without a container engine: fresh mount, pid, IPC
 * and UTS namespaces set up by bubblewrap (a small setuid-free helper built for exactly this), a
 * root built from the host's /usr and /etc read-only, the project read-write, private /tmp, /proc
 * and /dev. bwrap's own monitor process stays outside the sandbox cgroup; its pid 1 is moved in
 * before it execs the command (see {@link CgroupHandshake}), so the command's first instruction
 * already runs under tether's BPF programs and the cgroup holds nothing but the sandbox.
 */
public final class BuiltinEngine implements SandboxEngine {
    /** Top-level host directories that become read-only parts of the sandbox root. */
    private static final List<String> HOST_READ_ONLY = List.of("usr", "etc", "opt");
    /** Usually symlinks into /usr on merged-/usr systems; bound as they are on the host. */
    private static final List<String> HOST_LIB_DIRS = List.of("bin", "sbin", "lib", "lib32", "lib64", "libx32");

    private static final String NSENTER = "/usr/bin/nsenter";

    private final Path bwrap;
    private final CgroupHandshake handshake;

    public BuiltinEngine(Path bwrap, LibC libc) {
        this.bwrap = bwrap;
        this.handshake = new CgroupHandshake(libc);
    }

    /** Finds bwrap on the PATH of this process. */
    public static BuiltinEngine detect(LibC libc) {
        return new BuiltinEngine(findOnPath("bwrap", System.getenv("PATH")).orElse(Path.of("/usr/bin/bwrap")), libc);
    }

    @Override
    public String name() {
        return "builtin";
    }

    @Override
    public String unavailableReason() {
        if (!Files.isExecutable(bwrap)) {
            return "bubblewrap (bwrap) is not installed: apt install bubblewrap";
        }
        return null;
    }

    @Override
    public SandboxProcess launch(SandboxSpec spec, StartHook beforeCommand) {
        String reason = unavailableReason();
        if (reason != null) {
            throw new IllegalStateException(reason);
        }
        if (spec.root() instanceof RootFs.Image image) {
            throw new IllegalArgumentException("the built-in engine runs a root file system directory, not the image "
                    + image.reference() + ": use --engine podman, or an image built by 'tether image build'");
        }
        resolveCommand(spec);
        Path caBundle = null;
        if (spec.caCertificate() != null) {
            caBundle = CaBundle.write(CaBundle.systemBundleOf(spec.root()), spec.caCertificate(),
                    SessionFiles.dir(spec.sessionId()).resolve("ca-bundle.crt"));
        }
        // Limits first: the sandbox's first process joins their cgroups before the command runs.
        LimitCgroups limits = LimitCgroups.create(spec.sessionId(), spec.cgroup().procsFile().getParent(), spec.limits());
        try {
            return handshake.launch(bwrapArguments(spec, caBundle), spec.cgroup().procsFile(), limits, beforeCommand);
        } catch (RuntimeException e) {
            limits.close();
            throw e;
        }
    }

    /** The bwrap command line for {@code spec} (package-private for tests). */
    List<String> bwrapArguments(SandboxSpec spec) {
        return bwrapArguments(spec, null);
    }

    List<String> bwrapArguments(SandboxSpec spec, Path caBundle) {
        List<String> a = new ArrayList<>();
        if (spec.network() != null) {
            // nsenter execs bwrap in tether's namespace; "ip netns exec" would also remount /sys
            // and hide the cgroup2 mount.
            a.addAll(List.of(NSENTER, "--net=" + spec.network().namespace(), "--"));
        }
        a.add(bwrap.toString());
        // fd 3: bwrap reports the sandbox's pid 1; fd 4: that process waits until it is in the cgroup.
        a.addAll(List.of("--info-fd", "3", "--block-fd", "4"));
        a.addAll(List.of("--die-with-parent", "--unshare-pid", "--unshare-ipc", "--unshare-uts",
                "--hostname", spec.hostname()));
        if (spec.network() == null) {
            a.add("--unshare-net"); // no network at all rather than the host's
        }
        if (isRoot()) {
            // Root in the sandbox keeps uid 0 for file ownership but no capabilities.
            a.addAll(List.of("--cap-drop", "ALL"));
        }
        if (spec.root() instanceof RootFs.Directory dir) {
            // An image's rootfs: read-only, with the writable places a program expects.
            a.addAll(List.of("--ro-bind", dir.path().toString(), "/"));
            a.addAll(List.of("--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "--tmpfs", "/run",
                    "--tmpfs", "/root", "--tmpfs", "/var/tmp"));
        } else {
            hostSystem(a);
            a.addAll(List.of("--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "--tmpfs", "/run",
                    "--dir", "/root"));
        }
        if (spec.network() != null) {
            a.addAll(List.of("--ro-bind", spec.network().resolvConf().toString(), "/etc/resolv.conf",
                    "--ro-bind", spec.network().hosts().toString(), "/etc/hosts"));
        }
        if (caBundle != null) {
            a.addAll(List.of("--ro-bind", caBundle.toString(), SandboxSpec.CA_BUNDLE));
        }
        String project = spec.projectDir().toString();
        a.addAll(List.of("--bind", project, project, "--bind", project, "/workspace"));
        for (BindMount m : spec.mounts()) {
            a.addAll(List.of(m.readOnly() ? "--ro-bind" : "--bind", m.host().toString(), m.target()));
        }
        a.addAll(List.of("--chdir", spec.workdir().toString(), "--clearenv"));
        for (Map.Entry<String, String> e : spec.env().entrySet()) {
            a.addAll(List.of("--setenv", e.getKey(), e.getValue()));
        }
        a.add("--");
        a.addAll(spec.command());
        return a;
    }

    private static void hostSystem(List<String> a) {
        for (String dir : HOST_READ_ONLY) {
            Path p = Path.of("/", dir);
            if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                a.addAll(List.of("--ro-bind", p.toString(), p.toString()));
            }
        }
        for (String dir : HOST_LIB_DIRS) {
            Path p = Path.of("/", dir);
            if (Files.isSymbolicLink(p)) {
                try {
                    a.addAll(List.of("--symlink", Files.readSymbolicLink(p).toString(), p.toString()));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            } else if (Files.isDirectory(p)) {
                a.addAll(List.of("--ro-bind", p.toString(), p.toString()));
            }
        }
    }

    /**
     * Fails like a shell (exit 127) when the program does not exist where the sandbox will look:
     * bwrap would otherwise report it as its own failure with exit 1.
     */
    static void resolveCommand(SandboxSpec spec) {
        String cmd = spec.command().getFirst();
        if (cmd.contains("/")) {
            Path p = cmd.startsWith("/") ? Path.of(cmd) : spec.workdir().resolve(cmd);
            Path onHost = hostPathOf(p, spec);
            if (!Files.isRegularFile(onHost) || !Files.isExecutable(onHost)) {
                throw new CommandNotFoundException(cmd);
            }
            return;
        }
        String path = spec.env().getOrDefault("PATH", "/usr/bin:/bin");
        for (String d : path.split(":")) {
            if (!d.isEmpty()) {
                Path onHost = hostPathOf(Path.of(d, cmd), spec);
                if (Files.isRegularFile(onHost) && Files.isExecutable(onHost)) {
                    return;
                }
            }
        }
        throw new CommandNotFoundException(cmd);
    }

    /** Where a sandbox path lives on the host (the sandbox mounts /workspace from the project). */
    private static Path hostPathOf(Path inSandbox, SandboxSpec spec) {
        Path norm = inSandbox.normalize();
        Path ws = Path.of("/workspace");
        if (norm.startsWith(ws)) {
            return spec.projectDir().resolve(ws.relativize(norm).toString());
        }
        if (norm.startsWith(spec.projectDir())) {
            return norm;
        }
        for (BindMount m : spec.mounts().reversed()) {
            Path t = Path.of(m.target());
            if (norm.startsWith(t)) {
                return m.host().resolve(t.relativize(norm).toString());
            }
        }
        if (spec.root() instanceof RootFs.Directory dir) {
            // Symlinks inside an image root (e.g. /bin -> usr/bin) resolve against that root.
            return resolveInRoot(dir.path(), norm);
        }
        return norm;
    }

    /** Resolves {@code p} inside {@code root} as the sandbox would, following symlinks within the root. */
    static Path resolveInRoot(Path root, Path p) {
        Path current = root;
        java.util.Deque<String> todo = new java.util.ArrayDeque<>();
        for (Path part : p) {
            todo.add(part.toString());
        }
        int hops = 0;
        while (!todo.isEmpty()) {
            String name = todo.removeFirst();
            if (name.equals("..")) {
                current = current.equals(root) ? root : current.getParent();
                continue;
            }
            Path next = current.resolve(name);
            if (Files.isSymbolicLink(next) && hops++ < 40) {
                try {
                    Path target = Files.readSymbolicLink(next);
                    java.util.List<String> parts = new ArrayList<>();
                    for (Path t : target) {
                        parts.add(t.toString());
                    }
                    for (int i = parts.size() - 1; i >= 0; i--) {
                        todo.addFirst(parts.get(i));
                    }
                    if (target.isAbsolute()) {
                        current = root;
                    }
                } catch (IOException e) {
                    return next;
                }
            } else {
                current = next;
            }
        }
        return current;
    }

    static Optional<Path> findOnPath(String name, String path) {
        if (path == null) {
            return Optional.empty();
        }
        for (String dir : path.split(":")) {
            if (dir.isEmpty()) {
                continue;
            }
            Path p = Path.of(dir, name);
            if (Files.isRegularFile(p) && Files.isExecutable(p)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    private static boolean isRoot() {
        return "root".equals(System.getProperty("user.name"));
    }
}
