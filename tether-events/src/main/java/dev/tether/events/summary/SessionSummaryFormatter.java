package dev.tether.events.summary;

import dev.tether.events.ActionCount;
import dev.tether.events.Event;
import dev.tether.events.EventFamily;
import dev.tether.events.EventKind;
import dev.tether.events.Verdict;
import dev.tether.events.text.EventLine;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * Renders a {@link SessionSummary} as the text {@code tether run} prints at the end. Text from the
 * sandbox (paths, commands) is escaped so it cannot forge lines or drive the terminal.
 */
public final class SessionSummaryFormatter {
    private static final Verdict[] COLUMNS = {Verdict.ALLOW, Verdict.DENY, Verdict.WOULD_DENY, Verdict.NONE};

    private final EventLine lines;

    public SessionSummaryFormatter() {
        this(new EventLine(java.time.ZoneId.systemDefault()));
    }

    public SessionSummaryFormatter(EventLine lines) {
        this.lines = lines;
    }

    public String format(SessionSummary s) {
        StringBuilder out = new StringBuilder();
        out.append("session ").append(EventLine.escape(s.session()));
        if (s.principal() != null) {
            out.append(" (").append(EventLine.escape(s.principal())).append(')');
        }
        if (s.endNs() != null) {
            out.append(" ended");
            if (s.exitCode() != null) {
                out.append(", exit code ").append(s.exitCode());
            }
            if (s.startNs() != null) {
                out.append(", after ").append(duration(Duration.ofNanos(s.endNs() - s.startNs())));
            }
        } else {
            out.append(" has not ended");
        }
        out.append('\n');
        if (!s.command().isEmpty()) {
            out.append("  command: ").append(EventLine.escape(String.join(" ", s.command()))).append('\n');
        }
        out.append("  ").append(s.events()).append(s.events() == 1 ? " event recorded\n" : " events recorded\n");
        appendCounts(out, s);
        appendDenials(out, s);
        out.append("  ").append(lost(s.lost())).append('\n');
        return out.toString();
    }

    /** The loss line: "0 events lost" only when loss was measured. */
    public static String lost(EventsLost lost) {
        if (lost.measured()) {
            return lost.counted() + (lost.counted() == 1 ? " event lost" : " events lost");
        }
        if (lost.counted() == 0) {
            return "events lost: not measured";
        }
        return "at least " + lost.counted() + (lost.counted() == 1 ? " event" : " events")
                + " lost (kernel loss not measured)";
    }

    private static void appendCounts(StringBuilder out, SessionSummary s) {
        Map<EventKind, Map<Verdict, Long>> table = new TreeMap<>();
        for (ActionCount c : s.counts()) {
            if (c.action().family() == EventFamily.SESSION || c.action().family() == EventFamily.MONITOR) {
                continue; // start/end and loss reports have their own lines
            }
            table.computeIfAbsent(c.action(), k -> new EnumMap<>(Verdict.class)).merge(c.decision(), c.count(), Long::sum);
        }
        if (table.isEmpty()) {
            return;
        }
        int width = "action".length();
        for (EventKind k : table.keySet()) {
            width = Math.max(width, k.jsonName().length());
        }
        out.append("  ").append(pad("action", width));
        for (Verdict v : COLUMNS) {
            out.append(String.format("  %10s", v.jsonName()));
        }
        out.append('\n');
        for (Map.Entry<EventKind, Map<Verdict, Long>> row : table.entrySet()) {
            out.append("  ").append(pad(row.getKey().jsonName(), width));
            for (Verdict v : COLUMNS) {
                out.append(String.format("  %10d", row.getValue().getOrDefault(v, 0L)));
            }
            out.append('\n');
        }
    }

    private void appendDenials(StringBuilder out, SessionSummary s) {
        long total = s.denials().size() + s.moreDenials();
        if (total == 0) {
            out.append("  no denials\n");
            return;
        }
        out.append("  denials (").append(total).append("):\n");
        for (Event e : s.denials()) {
            out.append("    ").append(lines.format(e)).append('\n');
        }
        if (s.moreDenials() > 0) {
            out.append("    ... and ").append(s.moreDenials()).append(" more: tether log --session ")
                    .append(EventLine.escape(s.session())).append(" --decision deny\n");
        }
    }

    private static String pad(String s, int width) {
        return s + " ".repeat(width - s.length());
    }

    static String duration(Duration d) {
        long s = d.toSeconds();
        if (s < 60) {
            return String.format("%.1fs", d.toMillis() / 1000.0);
        }
        if (s < 3600) {
            return (s / 60) + "m " + (s % 60) + "s";
        }
        return (s / 3600) + "h " + (s % 3600 / 60) + "m";
    }
}
