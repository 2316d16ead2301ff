package dev.tether.sandbox;

/** A running sandbox: its launcher process on the host. */
public interface SandboxProcess {
    long pid();

    /** Waits for the sandboxed command and returns its exit status as a shell reports it. */
    int waitFor() throws InterruptedException;

    boolean isAlive();

    /** Asks the sandbox to stop (SIGTERM to the launcher); the cgroup kill is the backstop. */
    void terminate();
}
