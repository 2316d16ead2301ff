package dev.tether.learn;

import dev.tether.events.Event;
import dev.tether.events.EventKind;
import dev.tether.events.Verdict;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Recorded events held in a list; ids are list positions starting at 1. */
public final class InMemoryEvents implements RecordedEvents {
    private final List<Event> events;
    private final String description;

    public InMemoryEvents(List<Event> events, String description) {
        this.events = List.copyOf(events);
        this.description = description;
    }

    public InMemoryEvents(List<Event> events) {
        this(events, events.size() + " events in memory");
    }

    @Override
    public List<RecordedSession> sessions() {
        Map<String, long[]> span = new LinkedHashMap<>();
        Map<String, String> agents = new LinkedHashMap<>();
        for (Event e : events) {
            if (e.session() == null) {
                continue;
            }
            long[] s = span.computeIfAbsent(e.session(), k -> new long[] {Long.MAX_VALUE, Long.MIN_VALUE, 0});
            s[0] = Math.min(s[0], e.timeNs());
            s[1] = Math.max(s[1], e.timeNs());
            s[2]++;
            if (e.principal() != null) {
                agents.putIfAbsent(e.session(), e.principal());
            }
        }
        List<RecordedSession> out = new ArrayList<>();
        span.forEach((id, s) -> out.add(new RecordedSession(id, agents.get(id), s[0], s[1], s[2])));
        out.sort(Comparator.comparingLong(RecordedSession::firstNs).thenComparing(RecordedSession::id));
        return out;
    }

    @Override
    public void forEach(EventSelection selection, Set<EventKind> kinds, Set<Verdict> decisions, Sink sink) {
        for (int i = 0; i < events.size(); i++) {
            Event e = events.get(i);
            if ((kinds.isEmpty() || kinds.contains(e.kind())) && (decisions.isEmpty() || decisions.contains(e.decision()))
                    && selection.matches(e)) {
                sink.accept(i + 1L, e);
            }
        }
    }

    @Override
    public String describe() {
        return description;
    }
}
