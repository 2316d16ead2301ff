package dev.tether.sandbox.oci;

import dev.tether.sandbox.SandboxProcess;

/** A running {@code podman run}/{@code docker run}: its exit status is the container's. */
final class ContainerProcess implements SandboxProcess {
    private final Process process;
    private final ContainerEngine engine;
    private final String sessionId;
    private volatile boolean terminated;

    ContainerProcess(Process process, ContainerEngine engine, String sessionId) {
        this.process = process;
        this.engine = engine;
        this.sessionId = sessionId;
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

    /** SIGTERM to the engine's client, which passes it on to the container (sig-proxy). */
    @Override
    public void terminate() {
        terminated = true;
        process.destroy();
    }

    /**
     * After a normal exit {@code --rm} has removed the container and only the engine's v1 cgroup
     * directories remain; after a kill or an engine error the container itself may remain.
     */
    @Override
    public void close() {
        boolean alive = process.isAlive();
        if (alive) {
            process.destroyForcibly();
        }
        int exit = alive ? -1 : process.exitValue();
        if (alive || terminated || exit == 125 || exit == 137 || exit == 143) {
            ContainerSweeper.removeSession(engine, sessionId);
        } else {
            LegacyCgroups.removeSession(sessionId);
        }
    }
}
