package dev.tether.sandbox.builtin;

import dev.tether.kernel.ffm.LibC;
import dev.tether.sandbox.CommandNotFoundException;
import dev.tether.sandbox.SandboxEngine;
import dev.tether.sandbox.SandboxProcess;
import dev.tether.sandbox.SandboxSpec;
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
        resolveCommand(spec);
        return handshake.launch(bwrapArguments(spec), spec.cgroupProcs(), beforeCommand);
    }

    /** The bwrap command line for {@code spec} (package-private for tests). */
    List<String> bwrapArguments(SandboxSpec spec) {
        List<String> a = new ArrayList<>();
        a.add(bwrap.toString());
        // fd 3: bwrap reports the sandbox's pid 1; fd 4: that process waits until it is in the cgroup.
        a.addAll(List.of("--info-fd", "3", "--block-fd", "4"));
        a.addAll(List.of("--die-with-parent", "--unshare-pid", "--unshare-ipc", "--unshare-uts",
                "--hostname", spec.hostname()));
        if (isRoot()) {
            // Root in the sandbox keeps uid 0 for file ownership but no capabilities.
            a.addAll(List.of("--cap-drop", "ALL"));
        }
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
        a.addAll(List.of("--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "--tmpfs", "/run",
                "--dir", "/root"));
        String project = spec.projectDir().toString();
        a.addAll(List.of("--bind", project, project, "--bind", project, "/workspace"));
        for (Path ro : spec.readOnly()) {
            if (!ro.startsWith(spec.projectDir()) || !Files.exists(ro)) {
                continue;
            }
            String rel = spec.projectDir().relativize(ro).toString();
            a.addAll(List.of("--ro-bind", ro.toString(), ro.toString(), "--ro-bind", ro.toString(), "/workspace/" + rel));
        }
        a.addAll(List.of("--chdir", spec.workdir().toString(), "--clearenv"));
        for (Map.Entry<String, String> e : spec.env().entrySet()) {
            a.addAll(List.of("--setenv", e.getKey(), e.getValue()));
        }
        a.add("--");
        a.addAll(spec.command());
        return a;
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
        List<String> dirs = new ArrayList<>();
        for (String d : path.split(":")) {
            if (!d.isEmpty()) {
                dirs.add(hostPathOf(Path.of(d), spec).toString());
            }
        }
        if (findOnPath(cmd, String.join(":", dirs)).isEmpty()) {
            throw new CommandNotFoundException(cmd);
        }
    }

    /** Where a sandbox path lives on the host (the sandbox mounts /workspace from the project). */
    private static Path hostPathOf(Path inSandbox, SandboxSpec spec) {
        Path norm = inSandbox.normalize();
        Path ws = Path.of("/workspace");
        if (norm.startsWith(ws)) {
            return spec.projectDir().resolve(ws.relativize(norm).toString());
        }
        return norm;
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
