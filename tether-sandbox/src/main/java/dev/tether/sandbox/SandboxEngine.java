package dev.tether.sandbox;

/** A way to run a command isolated from the host, inside a cgroup tether controls. */
public interface SandboxEngine {
    /** Short name used by {@code --engine}. */
    String name();

    /** Why this engine cannot run here, or null when it can. */
    String unavailableReason();

    SandboxProcess launch(SandboxSpec spec);
}
