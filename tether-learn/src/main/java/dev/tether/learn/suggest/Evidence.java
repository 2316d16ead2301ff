package dev.tether.learn.suggest;

import dev.tether.events.Event;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * What the recording shows about one thing: how often it happened, when first and last, in which
 * sessions.
 *
 * @param sessions session ids, sorted
 */
public record Evidence(long count, long firstNs, long lastNs, List<String> sessions) {
    public Evidence {
        sessions = List.copyOf(sessions);
    }

    /** "12 times in 2 sessions, 2026-11-27T05:29:51.263Z to 2026-11-27T05:31:02.001Z" */
    public String describe() {
        return describe(times(count));
    }

    /** The same with the count written as given, e.g. "12 events". */
    public String describe(String countText) {
        StringBuilder sb = new StringBuilder();
        sb.append(countText);
        if (!sessions.isEmpty()) {
            sb.append(" in ").append(sessions.size()).append(sessions.size() == 1 ? " session" : " sessions");
        }
        return sb.append(", ").append(span()).toString();
    }

    /** "2026-11-27T05:29:51.263Z to 2026-11-27T05:31:02.001Z", or "at ..." for one instant. */
    public String span() {
        StringBuilder sb = new StringBuilder();
        if (time(firstNs).equals(time(lastNs))) {
            sb.append("at ").append(time(firstNs));
        } else {
            sb.append(time(firstNs)).append(" to ").append(time(lastNs));
        }
        return sb.toString();
    }

    static String times(long n) {
        return n == 1 ? "once" : n + " times";
    }

    /** ISO-8601 UTC to the millisecond: exact enough to find the events, short enough to read. */
    public static String time(long ns) {
        Instant t = Instant.ofEpochSecond(Math.floorDiv(ns, 1_000_000_000L), Math.floorMod(ns, 1_000_000_000L));
        return MILLIS.format(t);
    }

    private static final DateTimeFormatter MILLIS = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'")
            .withZone(ZoneOffset.UTC);

    /** Accumulates evidence event by event; not thread-safe. */
    static final class Tally {
        long count;
        long firstNs = Long.MAX_VALUE;
        long lastNs = Long.MIN_VALUE;
        private final Set<String> sessions = new HashSet<>();
        private String lastSession;

        void add(Event e) {
            count++;
            firstNs = Math.min(firstNs, e.timeNs());
            lastNs = Math.max(lastNs, e.timeNs());
            String s = e.session();
            // Events come in long runs of one session: skip the set for repeats of the same one.
            if (s != null && s != lastSession) {
                sessions.add(s);
                lastSession = s;
            }
        }

        void addAll(Tally other) {
            count += other.count;
            firstNs = Math.min(firstNs, other.firstNs);
            lastNs = Math.max(lastNs, other.lastNs);
            sessions.addAll(other.sessions);
            lastSession = null;
        }

        Evidence freeze() {
            List<String> s = new ArrayList<>(sessions);
            s.sort(null);
            return new Evidence(count, firstNs, lastNs, s);
        }

        static Evidence merge(Collection<Tally> tallies) {
            Tally t = new Tally();
            tallies.forEach(t::addAll);
            return t.freeze();
        }
    }
}
