package dev.tether.sandbox.builtin;

import dev.tether.sandbox.limits.LimitCgroups;
import dev.tether.sandbox.SandboxProcess;

/** A sandbox whose launcher is a direct child of this JVM. */
final class LocalSandboxProcess implements SandboxProcess {
    private final Process process;
    private final long sandboxInit;
    private final LimitCgroups limits;

    LocalSandboxProcess(Process process, long sandboxInit, LimitCgroups limits) {
        this.process = process;
        this.sandboxInit = sandboxInit;
        this.limits = limits;
    }

    /** Host pid of the sandbox's pid 1 (inside the cgroup), as opposed to the launcher outside it. */
    long sandboxInit() {
        return sandboxInit;
    }

    @Override
    public long pid() {
        return process.pid();
    }

    @Override
    public int waitFor() throws InterruptedException {
        return process.waitFor();
    }

    @Override
    public boolean isAlive() {
        return process.isAlive();
    }

    @Override
    public void terminate() {
        process.destroy();
    }

    @Override
    public java.util.List<String> warnings() {
        return limits.unenforced().stream()
                .map(c -> "the " + (c.equals("pids") ? "task" : c) + " limit is not enforced: this host has no " + c
                        + " cgroup controller tether can use")
                .toList();
    }

    /** Removes the limit cgroups (the session cgroup has been killed by then). */
    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroyForcibly();
        }
        limits.close();
    }
}
