package dev.tether.cli.session;

import dev.tether.kernel.bpf.BpfObject;
import dev.tether.kernel.bpf.SandboxMonitor;
import dev.tether.kernel.enforce.CgroupNetworkGuard;
import dev.tether.kernel.enforce.ExecGuard;
import dev.tether.kernel.ffm.LibBpf;
import java.util.Optional;

/**
 * BPF objects loaded before the session that uses them was asked for: a spare tether loads the
 * monitor's objects and the two kernel guards' while it waits (the kernel's verification of them
 * is the longest part of a session's start; docs/sandbox.md "Warm start"). Nothing is attached
 * and no map holds session data until a session takes them. Each is taken at most once; closing
 * unloads what no session took.
 */
public final class PreloadedKernelObjects implements AutoCloseable {
    /** Nothing loaded ahead: every session step loads its own. */
    public static final PreloadedKernelObjects NONE = new PreloadedKernelObjects(null, null, null);

    private SandboxMonitor.Loaded monitor;
    private BpfObject execGuard;
    private BpfObject networkGuard;

    private PreloadedKernelObjects(SandboxMonitor.Loaded monitor, BpfObject execGuard, BpfObject networkGuard) {
        this.monitor = monitor;
        this.execGuard = execGuard;
        this.networkGuard = networkGuard;
    }

    /**
     * Loads what this kernel accepts; what it refuses is left to the session, whose own attempt
     * reports why (and fails closed there).
     */
    public static PreloadedKernelObjects load(LibBpf libbpf) {
        return new PreloadedKernelObjects(orNone(() -> SandboxMonitor.load(libbpf)), orNone(() -> ExecGuard.load(libbpf)),
                orNone(() -> CgroupNetworkGuard.load(libbpf)));
    }

    private static <T> T orNone(java.util.function.Supplier<T> load) {
        try {
            return load.get();
        } catch (RuntimeException e) {
            return null; // the session loads its own
        }
    }

    synchronized Optional<SandboxMonitor.Loaded> takeMonitor() {
        SandboxMonitor.Loaded taken = monitor;
        monitor = null;
        return Optional.ofNullable(taken);
    }

    synchronized Optional<BpfObject> takeExecGuard() {
        BpfObject taken = execGuard;
        execGuard = null;
        return Optional.ofNullable(taken);
    }

    synchronized Optional<BpfObject> takeNetworkGuard() {
        BpfObject taken = networkGuard;
        networkGuard = null;
        return Optional.ofNullable(taken);
    }

    @Override
    public synchronized void close() {
        if (monitor != null) {
            monitor.close();
            monitor = null;
        }
        if (execGuard != null) {
            execGuard.close();
            execGuard = null;
        }
        if (networkGuard != null) {
            networkGuard.close();
            networkGuard = null;
        }
    }
}
