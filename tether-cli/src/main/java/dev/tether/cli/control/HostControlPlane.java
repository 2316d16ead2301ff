package dev.tether.cli.control;

import dev.tether.cli.session.SessionLock;
import dev.tether.learn.PolicyLearning;
import dev.tether.policy.Mode;
import dev.tether.policy.PolicyHolder;
import dev.tether.policy.PolicyRejectedException;
import dev.tether.policy.Principal;
import dev.tether.server.ControlPlane;
import dev.tether.server.ControlPlaneConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The control plane of {@code tether ui}, with no session of its own: every session the host's audit
 * store recorded (history, and live as other tether processes record), read-only, and one policy
 * file, edited and hot-reloaded through the policy module's holder. A session that enforces the
 * same file picks every saved change up from the file.
 */
public final class HostControlPlane implements AutoCloseable {
    /** Who "ask the policy" decides for when the question names no agent. */
    public static final String DEFAULT_AGENT = "ui";

    private final ControlPlane plane;
    private final List<AutoCloseable> parts;

    private HostControlPlane(ControlPlane plane, List<AutoCloseable> parts) {
        this.plane = plane;
        this.parts = parts;
    }

    /**
     * Loads the policy (a policy with errors is refused: {@link PolicyRejectedException} carries the
     * located findings), then binds. The audit database may not exist yet: it is read once it does.
     *
     * @param learning suggestions and "what would change" over the recorded activity, or null for none
     */
    public static HostControlPlane start(ControlPlaneConfig config, Path policyFile, Path auditDatabase,
            PolicyLearning learning) throws PolicyRejectedException, IOException {
        List<AutoCloseable> parts = new ArrayList<>();
        try {
            PolicyHolder holder = PolicyHolder.open(policyFile, null);
            parts.add(holder);
            holder.watch();
            HolderPolicyControl policy = new HolderPolicyControl(holder, holder::current, Principal.agent(DEFAULT_AGENT));
            parts.add(policy);
            AuditReader reader = new AuditReader(auditDatabase);
            parts.add(reader);
            AuditEventSource events = new AuditEventSource(reader, AuditEventSource.DEFAULT_POLL);
            parts.add(events);
            HostSessions sessions = new HostSessions(reader, SessionLock.DIR, Mode.ENFORCE);
            parts.add(events.subscribe("sessions", sessions::observe));
            ControlPlane plane = ControlPlane.start(config, policy, events, sessions, learning);
            parts.add(plane);
            return new HostControlPlane(plane, parts);
        } catch (PolicyRejectedException | IOException | RuntimeException e) {
            closeAll(parts);
            throw e;
        }
    }

    public ControlPlane plane() {
        return plane;
    }

    @Override
    public void close() {
        closeAll(parts);
    }

    private static void closeAll(List<AutoCloseable> parts) {
        for (int i = parts.size() - 1; i >= 0; i--) {
            try {
                parts.get(i).close();
            } catch (Exception ignored) {
                // Closing the server, a file watcher or a read-only store: nothing left to do if it fails.
            }
        }
    }
}
