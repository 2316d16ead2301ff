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

    /**
     * For an engine that cannot join a namespace file (docker): starts what owns the sandbox's
     * network namespace before tether configures it. Empty for engines that join the namespace
     * tether creates ({@code ip netns add}).
     */
    default java.util.Optional<NetworkHolder> holdNetwork(SandboxPlan plan) {
        return java.util.Optional.empty();
    }

    /** Something the engine runs to own a network namespace; {@link #close} removes it. */
    interface NetworkHolder extends AutoCloseable {
        /** The namespace file, e.g. {@code /proc/PID/ns/net}. */
        java.nio.file.Path namespace();

        @Override
        void close();
    }

    /** Called with the host pid of the sandbox's first process; a failure aborts the launch. */
    @FunctionalInterface
    interface StartHook {
        StartHook NONE = pid -> { };

        void beforeCommand(long sandboxPid) throws java.io.IOException;
    }
}
