package dev.tether.server.spi;

import java.time.Instant;
import java.util.List;

/**
 * A governed session as the control plane shows it.
 *
 * @param principal the Cedar principal, e.g. {@code Agent::"claude"}
 * @param command   what runs in the sandbox
 * @param sandbox   engine description, e.g. {@code podman}, {@code builtin}
 */
public record SessionView(
        String id,
        String agent,
        String principal,
        List<String> command,
        String sandbox,
        State state,
        EnforcementMode mode,
        Instant startedAt,
        Instant endedAt) {

    public enum State {
        STARTING,
        RUNNING,
        STOPPING,
        EXITED
    }

    public SessionView {
        command = command == null ? List.of() : List.copyOf(command);
    }
}
