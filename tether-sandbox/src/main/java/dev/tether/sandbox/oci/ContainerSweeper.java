package dev.tether.sandbox.oci;

import dev.tether.sandbox.net.HostCommands;
import java.util.List;

/**
 * Removes a session's container and the engine's cgroup v1 directories for it. Used when a
 * sandbox ends abnormally and by the stale-session sweeper after tether itself was killed (the
 * container then carries on under conmon/containerd until removed here).
 */
public final class ContainerSweeper {
    private ContainerSweeper() {}

    /** Force-removes {@code tether-SESSION} (stopping it if it runs) and its v1 cgroup directories. */
    public static void removeSession(ContainerEngine engine, String sessionId) {
        if (engine.unavailableReason() == null) {
            new HostCommands().run(List.of(engine.binary().toString(), "rm", "-f", "-t", "0", "--ignore",
                    ContainerEngine.containerName(sessionId)), null);
        }
        LegacyCgroups.removeSession(sessionId);
    }

    /** The same for a session whose engine is unknown (after a crash): every engine installed. */
    public static void removeSessionEverywhere(String sessionId) {
        for (EngineKind kind : EngineKind.values()) {
            ContainerEngine e = ContainerEngine.detect(kind);
            if (e.unavailableReason() == null) {
                removeSession(e, sessionId);
            }
        }
        LegacyCgroups.removeSession(sessionId);
    }
}
