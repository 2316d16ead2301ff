package dev.tether.server.spi;

import dev.tether.events.Verdict;
/**
 * Filters and paging for {@link EventSource#query}. Null filters match everything. Results are
 * newest first; {@code beforeSeq} (exclusive) pages backwards, {@code afterSeq} (exclusive) asks
 * for newer events only. {@code text} matches case-insensitively in resource, comm, exe, action
 * and reason.
 */
public record EventQuery(
        String session, String action, Verdict verdict, String text, Long beforeSeq, Long afterSeq, int limit) {

    public static final int MAX_LIMIT = 10_000;

    public EventQuery {
        if (limit < 1 || limit > MAX_LIMIT) {
            throw new IllegalArgumentException("limit must be between 1 and " + MAX_LIMIT + ", got " + limit);
        }
    }

    public static EventQuery latest(int limit) {
        return new EventQuery(null, null, null, null, null, null, limit);
    }

    public boolean matches(ActivityEvent e) {
        if (session != null && !session.equals(e.session())) {
            return false;
        }
        if (action != null && !action.equals(e.action())) {
            return false;
        }
        if (verdict != null && verdict != e.verdict()) {
            return false;
        }
        if (beforeSeq != null && e.seq() >= beforeSeq) {
            return false;
        }
        if (afterSeq != null && e.seq() <= afterSeq) {
            return false;
        }
        if (text != null && !text.isEmpty()) {
            String needle = text.toLowerCase(java.util.Locale.ROOT);
            return contains(e.resource(), needle) || contains(e.comm(), needle) || contains(e.exe(), needle)
                    || contains(e.action(), needle) || contains(e.reason(), needle);
        }
        return true;
    }

    private static boolean contains(String hay, String needle) {
        return hay != null && hay.toLowerCase(java.util.Locale.ROOT).contains(needle);
    }
}
