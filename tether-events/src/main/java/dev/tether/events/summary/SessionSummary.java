package dev.tether.events.summary;

import dev.tether.events.ActionCount;
import dev.tether.events.Event;
import java.util.List;

/**
 * What {@code tether run} prints when a session ends: what ran, how it ended, counts by action and
 * decision, the denials, and what was lost.
 *
 * @param denials denied and would-deny events, oldest first (at most the number asked for)
 * @param moreDenials denials not in {@code denials}
 */
public record SessionSummary(String session, String principal, List<String> command, Long startNs, Long endNs,
        Integer exitCode, long events, List<ActionCount> counts, List<Event> denials, long moreDenials,
        EventsLost lost) {
    public SessionSummary {
        command = command == null ? List.of() : List.copyOf(command);
        counts = List.copyOf(counts);
        denials = List.copyOf(denials);
    }
}
