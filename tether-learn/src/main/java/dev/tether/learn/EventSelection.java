package dev.tether.learn;

import dev.tether.events.Event;
import java.util.List;
import java.util.TreeSet;

/**
 * Which recorded events to learn from or replay: some sessions (none named = every session) and
 * a time window. Session ids are kept sorted and unique, so the same selection written in another
 * order is the same selection (and gives the same suggestion).
 *
 * @param sessions session ids; empty means all sessions
 * @param sinceNs only events at or after this time (ns since the epoch), or null
 * @param untilNs only events before this time, or null
 */
public record EventSelection(List<String> sessions, Long sinceNs, Long untilNs) {
    public EventSelection {
        sessions = sessions == null ? List.of() : List.copyOf(new TreeSet<>(sessions));
        if (sinceNs != null && untilNs != null && untilNs < sinceNs) {
            throw new IllegalArgumentException("the time window ends before it starts");
        }
    }

    public static EventSelection all() {
        return new EventSelection(List.of(), null, null);
    }

    public static EventSelection sessions(List<String> ids) {
        return new EventSelection(ids, null, null);
    }

    public EventSelection since(Long ns) {
        return new EventSelection(sessions, ns, untilNs);
    }

    public EventSelection until(Long ns) {
        return new EventSelection(sessions, sinceNs, ns);
    }

    public boolean allSessions() {
        return sessions.isEmpty();
    }

    /** Whether {@code e} falls in this selection. */
    public boolean matches(Event e) {
        if (!sessions.isEmpty() && (e.session() == null || !sessions.contains(e.session()))) {
            return false;
        }
        if (sinceNs != null && e.timeNs() < sinceNs) {
            return false;
        }
        return untilNs == null || e.timeNs() < untilNs;
    }
}
