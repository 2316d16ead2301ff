package dev.tether.events;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * The session family. {@code SessionStart} carries the command, mode and sandbox; {@code SessionEnd}
 * carries the exit code (null when the sandbox was stopped without one).
 *
 * @param command the command the user ran (argv)
 * @param mode {@code enforce}, {@code shadow} or {@code permissive}
 * @param sandbox engine and image/id, e.g. {@code podman:tether/claude}
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record SessionDetail(List<String> command, String mode, String sandbox, Integer exitCode) implements EventDetail {
    public SessionDetail {
        command = command == null ? List.of() : List.copyOf(command);
    }

    public static SessionDetail start(List<String> command, String mode, String sandbox) {
        return new SessionDetail(command, mode, sandbox, null);
    }

    public static SessionDetail end(Integer exitCode) {
        return new SessionDetail(List.of(), null, null, exitCode);
    }

    @Override
    public SessionDetail withinLimits() {
        EventLimits.CutList c = EventLimits.cutList(command, EventLimits.MAX_ARGV_BYTES, Integer.MAX_VALUE);
        EventLimits.Cut s = EventLimits.cutText(sandbox);
        return c.truncated() || s.truncated() ? new SessionDetail(c.items(), mode, s.text(), exitCode) : this;
    }
}
