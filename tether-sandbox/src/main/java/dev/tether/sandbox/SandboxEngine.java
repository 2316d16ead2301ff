package dev.tether.sandbox;

/** A way to run a command isolated from the host, inside a cgroup tether controls. */
public interface SandboxEngine {
    /** Short name used by {@code --engine}. */
    String name();

    /** Why this engine cannot run here, or null when it can. */
    String unavailableReason();

    /**
     * Starts the sandbox. {@code beforeCommand} runs once the sandbox's first process is in the
     * session cgroup and its mounts are in place, but before the command's first instruction:
     * where enforcement attaches to the sandbox's own mounts.
     */
    SandboxProcess launch(SandboxSpec spec, StartHook beforeCommand);

    /** Called with the host pid of the sandbox's first process; a failure aborts the launch. */
    @FunctionalInterface
    interface StartHook {
        StartHook NONE = pid -> { };

        void beforeCommand(long sandboxPid) throws java.io.IOException;
    }
}
