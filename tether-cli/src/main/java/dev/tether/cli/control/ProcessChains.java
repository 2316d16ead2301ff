package dev.tether.cli.control;

import dev.tether.events.Event;
import dev.tether.events.EventKind;
import dev.tether.events.store.AuditQuery;
import dev.tether.events.store.AuditStore;
import dev.tether.events.store.StoredEvent;
import dev.tether.events.tree.ProcessStep;
import dev.tether.events.tree.ProcessTree;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Process ancestry for events read from the audit store. {@link AuditStore#ancestry} rebuilds a
 * session's tree from all its fork/exec/exit events on every call; the control plane needs a chain
 * for every event it serves, so it keeps one {@link ProcessTree} per recently seen session and
 * only reads the process events recorded since its last look. The tree is indexed by time, so one
 * tree answers for old and new events alike.
 */
final class ProcessChains {
    static final Set<EventKind> PROCESS_KINDS = Set.of(EventKind.PROCESS_FORK, EventKind.PROCESS_EXEC,
            EventKind.PROCESS_EXIT);
    /** Sessions whose trees are kept; the least recently used one is dropped beyond this. */
    static final int MAX_SESSIONS = 64;

    private static final class Tree {
        final ProcessTree tree = new ProcessTree();
        /** Every process event of the session with an id up to this one has been applied. */
        long appliedThrough;
    }

    private final Map<String, Tree> trees = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Tree> eldest) {
            return size() > MAX_SESSIONS;
        }
    };

    /**
     * The chain of the process behind event {@code id} of {@code session}: the process itself
     * first (as the event saw it), then its recorded ancestors. Reads the session's process events
     * recorded after the last call first, so a chain is never older than the event it explains.
     */
    synchronized List<dev.tether.server.spi.ProcessInfo> chain(AuditStore store, long id, Event e) {
        if (e.session() == null || e.pid() <= 0) {
            return List.of();
        }
        Tree t = catchUp(store, e.session(), id);
        List<ProcessStep> parents = e.ppid() > 0 ? t.tree.ancestry(e.ppid(), e.timeNs()) : List.of();
        return ActivityEvents.chain(e, parents);
    }

    /**
     * Brings the trees of the sessions in {@code events} (read from {@code store}) up to the
     * newest of them: one store read per session and batch. Without it every event of a batch
     * would read the store again (the previous event's id is always below the next one's), and
     * under a flood the feed spent its time re-reading the store instead of delivering.
     */
    synchronized void catchUp(AuditStore store, List<StoredEvent> events) {
        Map<String, Long> newest = new LinkedHashMap<>();
        for (StoredEvent se : events) {
            if (se.event().session() != null && se.event().pid() > 0) {
                newest.merge(se.event().session(), se.id(), Math::max);
            }
        }
        newest.forEach((session, through) -> catchUp(store, session, through));
    }

    /**
     * As {@link #catchUp(AuditStore, List)}, for a batch the feed got from the writer in process
     * that directly follows everything it delivered before ({@code deliveredBefore}: nothing lies
     * between). A session's tree already complete up to there takes the batch's process events as
     * they are, without reading the store; any other tree reads it as {@code catchUp} does.
     */
    synchronized void catchUpWith(AuditStore store, List<StoredEvent> batch, long deliveredBefore) {
        Map<String, List<StoredEvent>> bySession = new LinkedHashMap<>();
        for (StoredEvent se : batch) {
            if (se.event().session() != null && se.event().pid() > 0) {
                bySession.computeIfAbsent(se.event().session(), k -> new ArrayList<>()).add(se);
            }
        }
        bySession.forEach((session, events) -> {
            long through = events.getLast().id(); // a batch is in id order
            Tree t = trees.get(session);
            if (t != null && t.appliedThrough >= deliveredBefore) {
                List<Event> fresh = new ArrayList<>();
                for (StoredEvent se : events) {
                    if (PROCESS_KINDS.contains(se.event().kind())) {
                        fresh.add(se.event());
                    }
                }
                fresh.sort(Comparator.comparingLong(Event::timeNs));
                for (Event e : fresh) {
                    t.tree.apply(e);
                }
                t.appliedThrough = Math.max(t.appliedThrough, through);
            } else {
                catchUp(store, session, through);
            }
        });
    }

    private Tree catchUp(AuditStore store, String session, long through) {
        Tree t = trees.computeIfAbsent(session, k -> new Tree());
        if (t.appliedThrough >= through) {
            return t;
        }
        List<Event> fresh = new ArrayList<>();
        long[] last = {t.appliedThrough};
        store.forEach(AuditQuery.all().withSession(session).withActions(PROCESS_KINDS).withLimit(4096)
                .after(t.appliedThrough), se -> {
                    fresh.add(se.event());
                    last[0] = Math.max(last[0], se.id());
                });
        // The tree wants time order; the store's order is write order (producers on several threads).
        fresh.sort(Comparator.comparingLong(Event::timeNs));
        for (Event e : fresh) {
            t.tree.apply(e);
        }
        // Ids grow in commit order: once event `through` is readable, nothing below it is still to come.
        t.appliedThrough = Math.max(last[0], through);
        return t;
    }
}
