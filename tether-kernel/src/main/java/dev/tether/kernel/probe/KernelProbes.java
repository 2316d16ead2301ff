package dev.tether.kernel.probe;

import dev.tether.kernel.bpf.BpfObject;
import dev.tether.kernel.cgroup.Cgroup2Hierarchy;
import dev.tether.kernel.cgroup.KernelFilesystems;
import dev.tether.kernel.cgroup.MountTable;
import dev.tether.kernel.ffm.Errno;
import dev.tether.kernel.ffm.LibBpf;
import dev.tether.kernel.ffm.LibC;
import dev.tether.kernel.ffm.NativeCallException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Finds out which kernel mechanisms work on this host by using them: each BPF program type is
 * loaded and attached for real (then detached), Landlock is asked for its ABI, fanotify gets a
 * permission mark on a scratch directory. Nothing is inferred from version numbers.
 */
public final class KernelProbes {
    /** program in probes.bpf.c → how tether names the mechanism, and how it attaches. */
    private record BpfProbe(String program, String mechanism, Attach attach) {}

    private enum Attach { AUTO, CGROUP }

    private static final List<BpfProbe> BPF_PROBES = List.of(
            new BpfProbe("probe_tracepoint", "BPF tracepoint programs", Attach.AUTO),
            new BpfProbe("probe_raw_tracepoint", "BPF raw tracepoints", Attach.AUTO),
            new BpfProbe("probe_tp_btf", "BPF BTF tracepoints (tp_btf)", Attach.AUTO),
            new BpfProbe("probe_send_signal", "bpf_send_signal from tracepoints", Attach.AUTO),
            new BpfProbe("probe_lsm", "BPF LSM", Attach.AUTO),
            new BpfProbe("probe_fentry", "BPF fentry/fexit (trampolines)", Attach.AUTO),
            new BpfProbe("probe_connect4", "cgroup-BPF connect4", Attach.CGROUP),
            new BpfProbe("probe_connect6", "cgroup-BPF connect6", Attach.CGROUP),
            new BpfProbe("probe_sendmsg4", "cgroup-BPF sendmsg4", Attach.CGROUP),
            new BpfProbe("probe_sock_create", "cgroup-BPF sock_create", Attach.CGROUP));

    private final LibC libc;
    private final Optional<LibBpf> libbpf;
    private final String libbpfMissing;

    public KernelProbes(LibC libc, LibBpf libbpf, String libbpfMissing) {
        this.libc = libc;
        this.libbpf = Optional.ofNullable(libbpf);
        this.libbpfMissing = libbpfMissing;
    }

    public List<Probe> run() {
        List<Probe> out = new ArrayList<>();
        Optional<Cgroup2Hierarchy> cg = Cgroup2Hierarchy.find(MountTable.read());
        out.add(cg.map(h -> Probe.available("cgroup2", "mounted at " + h.mountPoint()))
                .orElseGet(() -> Probe.missing("cgroup2", "no cgroup2 mount in /proc/self/mountinfo")));
        out.add(mounts());
        if (libbpf.isEmpty()) {
            for (BpfProbe p : BPF_PROBES) {
                out.add(Probe.missing(p.mechanism(), "not probed: " + libbpfMissing));
            }
        } else {
            Path scratchCgroup = cg.map(h -> h.mountPoint().resolve("tether-probe-" + ProcessHandle.current().pid())).orElse(null);
            for (BpfProbe p : BPF_PROBES) {
                out.add(bpf(libbpf.get(), p, scratchCgroup));
            }
        }
        out.add(landlock());
        out.add(fanotify());
        return out;
    }

    private Probe mounts() {
        try {
            List<String> mounted = KernelFilesystems.ensureMounted(libc);
            return Probe.available("bpffs and tracefs",
                    mounted.isEmpty() ? "already mounted" : "mounted now: " + String.join(", ", mounted));
        } catch (NativeCallException e) {
            return Probe.missing("bpffs and tracefs", e.getMessage());
        }
    }

    private Probe bpf(LibBpf lib, BpfProbe probe, Path scratchCgroup) {
        Set<String> all = BPF_PROBES.stream().map(BpfProbe::program).collect(java.util.stream.Collectors.toSet());
        try (BpfObject obj = BpfObject.open(lib, "probes")) {
            obj.onlyPrograms(Set.of(probe.program()), all).load();
            if (probe.attach() == Attach.AUTO) {
                obj.attach(probe.program());
            } else {
                if (scratchCgroup == null) {
                    return Probe.missing(probe.mechanism(), "no cgroup2 to attach to");
                }
                Files.createDirectories(scratchCgroup);
                int fd = libc.open(scratchCgroup.toString(), LibC.O_RDONLY | LibC.O_DIRECTORY);
                try {
                    obj.attachCgroup(probe.program(), fd);
                } finally {
                    libc.close(fd);
                }
            }
            return Probe.available(probe.mechanism(), "loaded and attached");
        } catch (NativeCallException e) {
            return Probe.missing(probe.mechanism(), explain(e));
        } catch (IOException e) {
            return Probe.missing(probe.mechanism(), e.getMessage());
        } finally {
            if (scratchCgroup != null) {
                try {
                    Files.deleteIfExists(scratchCgroup);
                } catch (IOException ignored) {
                    // removed on the next probe
                }
            }
        }
    }

    /** The first line of the failure and, for EPERM on trampolines, what usually causes it. */
    private static String explain(NativeCallException e) {
        String first = e.getMessage().lines().findFirst().orElse("");
        if (e.errno() == Errno.EPERM) {
            return first + " (the kernel refused: lockdown, missing 'bpf' in lsm=, or a trampoline restriction)";
        }
        if (e.errno() == Errno.ENOTSUP || e.errno() == Errno.EINVAL || e.errno() == Errno.ENOENT) {
            return first + " (not supported by this kernel build)";
        }
        return first;
    }

    private Probe landlock() {
        try {
            long abi = new dev.tether.kernel.ffm.Landlock(libc).abi();
            return Probe.available("Landlock", "ABI " + abi);
        } catch (NativeCallException e) {
            return Probe.missing("Landlock", e.getErrnoDescription());
        }
    }

    private Probe fanotify() {
        Path dir = null;
        int fd = -1;
        try {
            fd = libc.fanotifyInit(LibC.FAN_CLOEXEC | LibC.FAN_CLASS_CONTENT, LibC.O_RDONLY);
            dir = Files.createTempDirectory("tether-fanotify-probe");
            libc.fanotifyMark(fd, LibC.FAN_MARK_ADD, LibC.FAN_OPEN_PERM | LibC.FAN_OPEN_EXEC_PERM | LibC.FAN_EVENT_ON_CHILD,
                    LibC.AT_FDCWD, dir.toString());
            return Probe.available("fanotify permission events", "FAN_OPEN_PERM and FAN_OPEN_EXEC_PERM marked");
        } catch (NativeCallException e) {
            return Probe.missing("fanotify permission events", e.getMessage());
        } catch (IOException e) {
            return Probe.missing("fanotify permission events", e.getMessage());
        } finally {
            if (fd >= 0) {
                libc.close(fd);
            }
            if (dir != null) {
                try {
                    Files.deleteIfExists(dir);
                } catch (IOException ignored) {
                    // temp dir
                }
            }
        }
    }
}
