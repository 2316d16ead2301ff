package dev.tether.learn;

import dev.tether.events.Event;
import dev.tether.events.EventKind;
import dev.tether.events.Verdict;
import java.util.List;
import java.util.Set;

/**
 * Where recorded events come from: the host's audit store ({@link AuditStoreEvents}), a
 * {@code tether run --events} file ({@link EventsFile}), or a list ({@link InMemoryEvents}).
 */
public interface RecordedEvents {
    /** Receives events with an id that is unique within the source (a store row id, a file line). */
    @FunctionalInterface
    interface Sink {
        void accept(long id, Event event);
    }

    /** The recorded sessions, oldest first. */
    List<RecordedSession> sessions();

    /**
     * Feeds every event in {@code selection} whose kind is in {@code kinds} and whose decision is
     * in {@code decisions} (empty = any) to {@code sink}, on the calling thread, in recorded order
     * within each session.
     *
     * @throws RecordedEventsException when the source cannot be read
     */
    void forEach(EventSelection selection, Set<EventKind> kinds, Set<Verdict> decisions, Sink sink);

    /**
     * The selection cut into parts that together give exactly its events, each part readable on
     * its own thread. Sources that cannot read in parallel return the selection itself.
     */
    default List<EventSelection> partitions(EventSelection selection, int parts) {
        return List.of(selection);
    }

    /** Describes the source for reports, e.g. the database file. */
    String describe();

    /** A source with nothing recorded. */
    static RecordedEvents none() {
        return new InMemoryEvents(List.of(), "no recorded events");
    }
}
