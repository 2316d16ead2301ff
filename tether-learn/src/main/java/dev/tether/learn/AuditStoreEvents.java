package dev.tether.learn;

import dev.tether.events.EventKind;
import dev.tether.events.Verdict;
import dev.tether.events.store.AuditQuery;
import dev.tether.events.store.AuditStore;
import dev.tether.events.store.AuditStoreException;
import dev.tether.events.store.SessionRecord;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;

/**
 * Recorded events from the host's audit store. Reads go through {@link AuditStore}'s query API
 * (its SQL and byte sieves skip chunks and lines that cannot match before anything is parsed).
 */
public final class AuditStoreEvents implements RecordedEvents, AutoCloseable {
    /** Page size of the store's scan; the store reads a few chunks per query either way. */
    private static final int PAGE = AuditQuery.MAX_LIMIT;
    private static final int MAX_SESSIONS = 1_000_000;

    private final AuditStore store;
    private final boolean owned;

    /** Reads {@code store}; closing this leaves the store open. */
    public AuditStoreEvents(AuditStore store) {
        this(store, false);
    }

    private AuditStoreEvents(AuditStore store, boolean owned) {
        this.store = store;
        this.owned = owned;
    }

    /** Opens the database at {@code file} for reading (a daemon may be writing it); closing this closes it. */
    public static AuditStoreEvents openReadOnly(Path file) {
        try {
            return new AuditStoreEvents(AuditStore.openReadOnly(file), true);
        } catch (AuditStoreException e) {
            throw new RecordedEventsException(e.getMessage(), e);
        }
    }

    @Override
    public List<RecordedSession> sessions() {
        List<RecordedSession> out = new ArrayList<>();
        try {
            for (SessionRecord r : store.sessions(MAX_SESSIONS)) {
                out.add(new RecordedSession(r.id(), r.principal(), r.firstNs(), r.lastNs(), r.events()));
            }
        } catch (AuditStoreException e) {
            throw new RecordedEventsException(e.getMessage(), e);
        }
        out.sort(Comparator.comparingLong(RecordedSession::firstNs).thenComparing(RecordedSession::id));
        return out;
    }

    @Override
    public void forEach(EventSelection selection, Set<EventKind> kinds, Set<Verdict> decisions, Sink sink) {
        AuditQuery q = AuditQuery.all().withLimit(PAGE).withActions(kinds).withDecisions(decisions)
                .since(selection.sinceNs()).until(selection.untilNs());
        try {
            if (selection.allSessions()) {
                store.forEach(q, s -> sink.accept(s.id(), s.event()));
            } else {
                for (String session : selection.sessions()) {
                    store.forEach(q.withSession(session), s -> sink.accept(s.id(), s.event()));
                }
            }
        } catch (AuditStoreException e) {
            throw new RecordedEventsException(e.getMessage(), e);
        }
    }

    /**
     * Cuts the selection's time window (bounded by the recorded sessions' first and last events)
     * into {@code parts} equal slices: the store serialises only its SQL and decompression, so
     * parsing and deciding run in parallel. A chunk that straddles a cut is read by both
     * neighbours, each keeping its own events.
     */
    @Override
    public List<EventSelection> partitions(EventSelection selection, int parts) {
        if (parts <= 1) {
            return List.of(selection);
        }
        long first = Long.MAX_VALUE;
        long last = Long.MIN_VALUE;
        for (RecordedSession s : sessions()) {
            if (selection.allSessions() || selection.sessions().contains(s.id())) {
                first = Math.min(first, s.firstNs());
                last = Math.max(last, s.lastNs());
            }
        }
        if (first > last) {
            return List.of(selection);
        }
        long from = selection.sinceNs() == null ? first : Math.max(first, selection.sinceNs());
        long to = selection.untilNs() == null ? last + 1 : Math.min(last + 1, selection.untilNs());
        if (to - from < parts) {
            return List.of(selection);
        }
        List<EventSelection> out = new ArrayList<>(parts);
        long step = (to - from) / parts;
        for (int i = 0; i < parts; i++) {
            // The outer slices keep the selection's own bounds, so nothing outside the sessions' span is lost.
            Long a = i == 0 ? selection.sinceNs() : Long.valueOf(from + i * step);
            Long b = i == parts - 1 ? selection.untilNs() : Long.valueOf(from + (i + 1) * step);
            out.add(new EventSelection(selection.sessions(), a, b));
        }
        return out;
    }

    @Override
    public String describe() {
        return "audit store " + store.file();
    }

    @Override
    public void close() {
        if (owned) {
            store.close();
        }
    }
}
