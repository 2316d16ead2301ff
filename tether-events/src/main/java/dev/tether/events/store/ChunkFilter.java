package dev.tether.events.store;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tether.events.Event;
import dev.tether.events.EventKind;
import dev.tether.events.Verdict;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * A query in three sieves, cheapest first: SQL on a chunk's session, time range and masks; a byte
 * search on each JSON line (the serializer always writes {@code "action":"X"} and {@code
 * "decision":"Y"}, and quotes inside values are escaped, so these patterns only match the real
 * fields, or a detail field of the same name, which the last sieve sorts out); and the parsed event.
 */
final class ChunkFilter {
    private final AuditQuery q;
    private final long kindMask;
    private final long decisionMask;
    private final byte[][] actionPatterns;
    private final byte[][] decisionPatterns;
    private final byte[] grep;

    ChunkFilter(AuditQuery q, ObjectMapper mapper) {
        this.q = q;
        long k = 0;
        for (EventKind kind : q.actions()) {
            k |= 1L << kind.ordinal();
        }
        long d = 0;
        for (Verdict v : q.decisions()) {
            d |= 1L << v.ordinal();
        }
        this.kindMask = k;
        this.decisionMask = d;
        this.actionPatterns = q.actions().stream()
                .map(a -> ("\"action\":\"" + a.jsonName() + "\"").getBytes(StandardCharsets.UTF_8)).toArray(byte[][]::new);
        this.decisionPatterns = q.decisions().stream()
                .map(v -> ("\"decision\":\"" + v.jsonName() + "\"").getBytes(StandardCharsets.UTF_8)).toArray(byte[][]::new);
        this.grep = q.grep() == null ? null : jsonEscaped(q.grep(), mapper);
    }

    /** The text as it appears inside a JSON string written by the same mapper (quotes, backslashes, controls escaped). */
    private static byte[] jsonEscaped(String text, ObjectMapper mapper) {
        try {
            byte[] quoted = mapper.writeValueAsBytes(text);
            return java.util.Arrays.copyOfRange(quoted, 1, quoted.length - 1);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    void appendSql(StringBuilder sql, List<Object> args) {
        if (q.session() != null) {
            sql.append(" AND session = ?");
            args.add(q.session());
        }
        if (q.sinceNs() != null) {
            sql.append(" AND last_ns >= ?");
            args.add(q.sinceNs());
        }
        if (q.untilNs() != null) {
            sql.append(" AND first_ns < ?");
            args.add(q.untilNs());
        }
        if (kindMask != 0) {
            sql.append(" AND (kinds & ?) != 0");
            args.add(kindMask);
        }
        if (decisionMask != 0) {
            sql.append(" AND (decisions & ?) != 0");
            args.add(decisionMask);
        }
    }

    /** False when the line surely does not match; true when it may. */
    boolean mayMatch(byte[] data, int from, int to) {
        if (grep != null && indexOf(data, from, to, grep) < 0) {
            return false;
        }
        if (actionPatterns.length > 0 && !anyOf(data, from, to, actionPatterns)) {
            return false;
        }
        return decisionPatterns.length == 0 || anyOf(data, from, to, decisionPatterns);
    }

    /** The exact test on the parsed event (grep was exact on its line already). */
    boolean matches(Event e) {
        if (q.session() != null && !q.session().equals(e.session())) {
            return false;
        }
        if (!q.actions().isEmpty() && !q.actions().contains(e.kind())) {
            return false;
        }
        if (!q.decisions().isEmpty() && !q.decisions().contains(e.decision())) {
            return false;
        }
        if (q.sinceNs() != null && e.timeNs() < q.sinceNs()) {
            return false;
        }
        return q.untilNs() == null || e.timeNs() < q.untilNs();
    }

    private static boolean anyOf(byte[] data, int from, int to, byte[][] patterns) {
        for (byte[] p : patterns) {
            if (indexOf(data, from, to, p) >= 0) {
                return true;
            }
        }
        return false;
    }

    static int indexOf(byte[] data, int from, int to, byte[] p) {
        if (p.length == 0) {
            return from;
        }
        byte first = p[0];
        outer:
        for (int i = from; i <= to - p.length; i++) {
            if (data[i] != first) {
                continue;
            }
            for (int j = 1; j < p.length; j++) {
                if (data[i + j] != p[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
