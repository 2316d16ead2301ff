package dev.tether.events.store;

import dev.tether.events.ActionCount;
import java.util.List;

/**
 * A session as the store knows it: what ran, when, how it ended, what it did, and what was lost.
 * A session appears as soon as any of its events is written, even if its start event was lost.
 *
 * @param startNs from its {@code SessionStart}, else null
 * @param endNs from its {@code SessionEnd}, else null (still running, or the end was lost)
 * @param exitCode from its {@code SessionEnd}, else null
 * @param firstNs time of its earliest event recorded
 * @param lastNs time of its latest event recorded
 * @param events events recorded for it
 * @param counts events by action and decision
 * @param eventsLost events known to be lost: kernel reports, bus drops, failed writes
 * @param lossMeasured whether a producer measured loss for it (an {@code EventsLost} event was recorded)
 */
public record SessionRecord(String id, String principal, List<String> command, String mode, String sandbox,
        Long startNs, Long endNs, Integer exitCode, long firstNs, long lastNs, long events, List<ActionCount> counts,
        long eventsLost, boolean lossMeasured) {
    public SessionRecord {
        command = command == null ? List.of() : List.copyOf(command);
        counts = List.copyOf(counts);
    }
}
