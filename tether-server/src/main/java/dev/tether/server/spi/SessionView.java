package dev.tether.server.spi;

import dev.tether.policy.Mode;
import java.time.Instant;
import java.util.List;

/**
 * A governed session as the control plane shows it.
 *
 * @param principal    the Cedar principal, e.g. {@code Agent::"claude"}
 * @param command      what runs in the sandbox
 * @param sandbox      engine description, e.g. {@code podman}, {@code builtin}
 * @param mode         the mode its layers apply, or null when nothing is enforced (monitor only) or unknown
 * @param controllable whether this control plane can stop it and change its mode; false for sessions
 *                     another tether process runs, which it only shows (from the audit store)
 * @param counts       its events by decision over the whole session (from the audit store), or null
 *                     when the directory does not know them; the API then counts what the control
 *                     plane saw since it started
 */
public record SessionView(
        String id,
        String agent,
        String principal,
        List<String> command,
        String sandbox,
        State state,
        Mode mode,
        Instant startedAt,
        Instant endedAt,
        boolean controllable,
        EventCounts counts) {

    public enum State {
        STARTING,
        RUNNING,
        STOPPING,
        EXITED
    }

    /**
     * Events of one session by decision, and those known to be lost: produced but not recorded
     * (the kernel's ring buffer was full, the bus dropped them because the audit store fell behind,
     * a write failed). A user must see that the record is incomplete, and by how much.
     */
    public record EventCounts(long total, long allowed, long denied, long wouldDeny, long lost) {}

    public SessionView {
        command = command == null ? List.of() : List.copyOf(command);
    }

    /** A session this control plane controls, with counts from its live feed. */
    public SessionView(String id, String agent, String principal, List<String> command, String sandbox, State state,
            Mode mode, Instant startedAt, Instant endedAt) {
        this(id, agent, principal, command, sandbox, state, mode, startedAt, endedAt, true, null);
    }
}
