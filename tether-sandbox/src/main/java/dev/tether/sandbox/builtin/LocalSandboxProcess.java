package dev.tether.sandbox.builtin;

import dev.tether.sandbox.SandboxProcess;

/** A sandbox whose launcher is a direct child of this JVM. */
final class LocalSandboxProcess implements SandboxProcess {
    private final Process process;
    private final long sandboxInit;

    LocalSandboxProcess(Process process, long sandboxInit) {
        this.process = process;
        this.sandboxInit = sandboxInit;
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
}
