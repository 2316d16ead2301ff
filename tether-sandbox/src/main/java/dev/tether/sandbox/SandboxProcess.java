package dev.tether.sandbox;

/** A running sandbox: its launcher process on the host. */
public interface SandboxProcess extends AutoCloseable {
    long pid();

    /** Waits for the sandboxed command and returns its exit status as a shell reports it. */
    int waitFor() throws InterruptedException;

    boolean isAlive();

    /** Asks the sandbox to stop (SIGTERM to the launcher); the cgroup kill is the backstop. */
    void terminate();

    /** Removes what the engine keeps of the sandbox once it has ended (containers, engine cgroups). */
    @Override
    default void close() {}
}
