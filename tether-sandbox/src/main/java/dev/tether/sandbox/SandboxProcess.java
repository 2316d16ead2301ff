package dev.tether.sandbox;

/** A running sandbox: its launcher process on the host. */
public interface SandboxProcess extends AutoCloseable {
    long pid();

    /** Waits for the sandboxed command and returns its exit status as a shell reports it. */
    int waitFor() throws InterruptedException;

    boolean isAlive();

    /** Asks the sandbox to stop (SIGTERM to the launcher); the cgroup kill is the backstop. */
    void terminate();

    /** What the engine could not apply as asked (e.g. a limit with no cgroup controller to hold it), to report. */
    default java.util.List<String> warnings() {
        return java.util.List.of();
    }

    /** Removes what the engine keeps of the sandbox once it has ended (containers, engine cgroups). */
    @Override
    default void close() {}
}
