package dev.tether.events.store;

import dev.tether.events.EventKind;
import dev.tether.events.Verdict;
import java.util.EnumSet;
import java.util.Set;

/**
 * A filter over the audit store; every criterion is optional and they combine with AND.
 * Immutable: the {@code with*} methods return copies. {@code tether log} and the REST API build these.
 *
 * @param session only this session
 * @param actions only these kinds (empty = all)
 * @param decisions only these verdicts (empty = all)
 * @param sinceNs only events at or after this time (ns since the epoch)
 * @param untilNs only events before this time
 * @param grep only events whose JSON contains this text (case-sensitive)
 * @param cursor paging: ids after it (oldest-first order) or before it (newest-first); 0 = start
 * @param limit page size
 * @param newestFirst order of results
 */
public record AuditQuery(String session, Set<EventKind> actions, Set<Verdict> decisions, Long sinceNs, Long untilNs,
        String grep, long cursor, int limit, boolean newestFirst) {
    public static final int DEFAULT_LIMIT = 1000;
    public static final int MAX_LIMIT = 100_000;

    public AuditQuery {
        actions = actions == null || actions.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(actions));
        decisions = decisions == null || decisions.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(decisions));
        if (limit < 1 || limit > MAX_LIMIT) {
            throw new IllegalArgumentException("limit must be between 1 and " + MAX_LIMIT + ", not " + limit);
        }
        if (grep != null && grep.isEmpty()) {
            grep = null;
        }
    }

    /** Everything, oldest first, in pages of {@link #DEFAULT_LIMIT}. */
    public static AuditQuery all() {
        return new AuditQuery(null, Set.of(), Set.of(), null, null, null, 0, DEFAULT_LIMIT, false);
    }

    public AuditQuery withSession(String s) {
        return new AuditQuery(s, actions, decisions, sinceNs, untilNs, grep, cursor, limit, newestFirst);
    }

    public AuditQuery withActions(Set<EventKind> a) {
        return new AuditQuery(session, a, decisions, sinceNs, untilNs, grep, cursor, limit, newestFirst);
    }

    public AuditQuery withDecisions(Set<Verdict> d) {
        return new AuditQuery(session, actions, d, sinceNs, untilNs, grep, cursor, limit, newestFirst);
    }

    public AuditQuery since(Long ns) {
        return new AuditQuery(session, actions, decisions, ns, untilNs, grep, cursor, limit, newestFirst);
    }

    public AuditQuery until(Long ns) {
        return new AuditQuery(session, actions, decisions, sinceNs, ns, grep, cursor, limit, newestFirst);
    }

    public AuditQuery withGrep(String text) {
        return new AuditQuery(session, actions, decisions, sinceNs, untilNs, text, cursor, limit, newestFirst);
    }

    public AuditQuery withLimit(int n) {
        return new AuditQuery(session, actions, decisions, sinceNs, untilNs, grep, cursor, n, newestFirst);
    }

    /** Oldest first, starting after row {@code id} (0 = from the start). */
    public AuditQuery after(long id) {
        return new AuditQuery(session, actions, decisions, sinceNs, untilNs, grep, id, limit, false);
    }

    /** Newest first, starting before row {@code id} (0 = from the newest). */
    public AuditQuery before(long id) {
        return new AuditQuery(session, actions, decisions, sinceNs, untilNs, grep, id, limit, true);
    }

    /** The same filter continued from a page's cursor. */
    public AuditQuery next(long cursorId) {
        return new AuditQuery(session, actions, decisions, sinceNs, untilNs, grep, cursorId, limit, newestFirst);
    }
}
