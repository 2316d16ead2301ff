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
        if (engine.unavailableReason() == null && engine.kind() == EngineKind.PODMAN) {
            new HostCommands().run(List.of(engine.binary().toString(), "rm", "-f", "-t", "0", "--ignore",
                    ContainerEngine.containerName(sessionId)), null);
        } else if (engine.unavailableReason() == null) {
            // docker: the command's container and the network holder, found by the session label
            // (docker rm has no --ignore, and either may be gone already).
            HostCommands cmd = new HostCommands();
            var ids = cmd.run(List.of(engine.binary().toString(), "ps", "-a", "-q", "--filter",
                    "label=" + ContainerEngine.SESSION_LABEL + "=" + sessionId), null);
            List<String> found = ids.ok() ? ids.stdout().lines().map(String::strip).filter(l -> !l.isEmpty()).toList() : List.of();
            if (!found.isEmpty()) {
                List<String> rm = new java.util.ArrayList<>(List.of(engine.binary().toString(), "rm", "-f"));
                rm.addAll(found);
                cmd.run(rm, null);
            }
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
