package dev.tether.server.stream;

import dev.tether.events.Verdict;
import dev.tether.server.spi.ActivityEvent;
import dev.tether.server.spi.SessionView.EventCounts;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/** Per-session event counts for the sessions view, kept from the live event feed (loss from its EventsLost reports). */
public final class SessionCounters {
    private static final class Cell {
        final LongAdder total = new LongAdder();
        final LongAdder allowed = new LongAdder();
        final LongAdder denied = new LongAdder();
        final LongAdder wouldDeny = new LongAdder();
        final LongAdder lost = new LongAdder();
    }

    private final Map<String, Cell> cells = new ConcurrentHashMap<>();

    public void record(ActivityEvent e) {
        if (e.session() == null) {
            return;
        }
        Cell c = cells.computeIfAbsent(e.session(), k -> new Cell());
        c.total.increment();
        if (e.verdict() == Verdict.ALLOW) {
            c.allowed.increment();
        } else if (e.verdict() == Verdict.DENY) {
            c.denied.increment();
        } else if (e.verdict() == Verdict.WOULD_DENY) {
            c.wouldDeny.increment();
        }
        if ("EventsLost".equals(e.action()) && e.detail().get("count") instanceof Number n) {
            c.lost.add(n.longValue());
        }
    }

    /** Counts for one session since the control plane started. */
    public EventCounts of(String session) {
        Cell c = cells.get(session);
        if (c == null) {
            return new EventCounts(0, 0, 0, 0, 0);
        }
        return new EventCounts(c.total.sum(), c.allowed.sum(), c.denied.sum(), c.wouldDeny.sum(), c.lost.sum());
    }
}
