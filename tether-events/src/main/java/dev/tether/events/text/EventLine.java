package dev.tether.events.text;

import dev.tether.events.Event;
import dev.tether.events.EventFlag;
import dev.tether.events.ExecDetail;
import dev.tether.events.ExitDetail;
import dev.tether.events.FileDetail;
import dev.tether.events.ForkDetail;
import dev.tether.events.GapDetail;
import dev.tether.events.HttpDetail;
import dev.tether.events.LossDetail;
import dev.tether.events.McpDetail;
import dev.tether.events.PolicyDetail;
import dev.tether.events.SessionDetail;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;

/**
 * One event as one line of text for people ({@code tether log}, the session summary). Everything
 * that came from the sandbox is {@linkplain #escape escaped}: a path with a newline or a terminal
 * escape sequence cannot forge a second line or recolour the terminal. The faithful form is JSON.
 */
public final class EventLine {
    private final DateTimeFormatter time;

    public EventLine(ZoneId zone) {
        this.time = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS", Locale.ROOT).withZone(zone);
    }

    public String format(Event e) {
        StringBuilder b = new StringBuilder(160);
        b.append(time.format(Instant.ofEpochSecond(0, 0).plusNanos(e.timeNs())));
        b.append(' ').append(e.session() == null ? "-" : escape(e.session()));
        b.append(' ').append(String.format("%-10s", e.decision().jsonName()));
        b.append(' ').append(e.kind().jsonName());
        String what = what(e);
        if (!what.isEmpty()) {
            b.append(' ').append(what);
        }
        if (e.pid() != 0) {
            b.append("  ").append(e.comm() == null ? "?" : escape(e.comm())).append('[').append(e.pid()).append(']');
        }
        if (e.errno() != null && e.errno() != 0) {
            b.append(' ').append(Errno.name(e.errno()));
        }
        if (!e.policies().isEmpty()) {
            b.append(" [").append(escape(String.join(",", e.policies()))).append(']');
        }
        if (!e.flags().isEmpty()) {
            b.append(" {");
            boolean first = true;
            for (EventFlag f : e.flags()) {
                b.append(first ? "" : ",").append(f.jsonName());
                first = false;
            }
            b.append('}');
        }
        return b.toString();
    }

    private static String what(Event e) {
        String r = e.resource() == null ? "" : escape(e.resource());
        return switch (e.detail()) {
            case null -> r;
            case ExecDetail x -> join(r, argv(x.argv()));
            case ForkDetail f -> "child " + f.childPid();
            case ExitDetail x -> x.signal() != 0 ? "killed by signal " + x.signal() + (x.coreDumped() ? " (core dumped)" : "")
                    : "exit " + x.exitCode();
            case FileDetail f -> f.target() != null ? r + " -> " + escape(f.target()) : r;
            case HttpDetail h -> join(join(escape(nz(h.method())), h.url() != null ? escape(h.url()) : r),
                    h.status() == null ? "" : String.valueOf(h.status())) + (h.header() != null ? " set " + escape(h.header()) : "");
            case McpDetail m -> join(r.isEmpty() ? escape(nz(m.server())) : r, escape(nz(m.method())));
            case LossDetail l -> l.count() + " lost at " + escape(nz(l.source()));
            case SessionDetail s -> s.exitCode() != null ? "exit " + s.exitCode()
                    : join(escape(String.join(" ", s.command())), s.mode() == null ? "" : "(" + s.mode() + ")");
            case PolicyDetail p -> join(r, p.errors().isEmpty() ? "generation " + p.generation() : escape(p.errors().getFirst()));
            case GapDetail g -> escape(nz(g.mechanism())) + ": " + escape(nz(g.reason()));
            default -> r;
        };
    }

    private static String argv(List<String> argv) {
        StringBuilder b = new StringBuilder();
        for (String a : argv) {
            if (!b.isEmpty()) {
                b.append(' ');
            }
            boolean plain = !a.isEmpty() && a.chars().allMatch(c -> c > ' ' && c != '"' && c != '\'' && c != '\\' && c < 0x7f);
            b.append(plain ? a : '"' + escape(a).replace("\"", "\\\"") + '"');
        }
        return b.isEmpty() ? "" : "argv: " + b;
    }

    private static String join(String a, String b) {
        return a.isEmpty() ? b : b.isEmpty() ? a : a + " " + b;
    }

    private static String nz(String s) {
        return s == null ? "" : s;
    }

    /**
     * Makes text safe for one terminal line: C0/C1 controls and DEL become {@code \n}, {@code \t},
     * {@code \r} or {@code \xNN}/{@code \u0085}; bidirectional overrides (which can make text read
     * backwards) become {@code \u202e} and the like.
     */
    public static String escape(String s) {
        if (s == null) {
            return "";
        }
        int i = 0;
        while (i < s.length() && safe(s.charAt(i))) {
            i++;
        }
        if (i == s.length()) {
            return s;
        }
        StringBuilder b = new StringBuilder(s.length() + 8).append(s, 0, i);
        for (; i < s.length(); i++) {
            char c = s.charAt(i);
            if (safe(c)) {
                b.append(c);
            } else if (c == '\n') {
                b.append("\\n");
            } else if (c == '\t') {
                b.append("\\t");
            } else if (c == '\r') {
                b.append("\\r");
            } else if (c < 0x80) {
                b.append(String.format("\\x%02x", (int) c));
            } else {
                b.append(String.format("\\u%04x", (int) c));
            }
        }
        return b.toString();
    }

    private static boolean safe(char c) {
        if (c >= 0x20 && c < 0x7f) {
            return true;
        }
        if (c < 0xa0) {
            return false;
        }
        return !(c >= 0x202a && c <= 0x202e) && !(c >= 0x2066 && c <= 0x2069) && c != 0x200e && c != 0x200f
                && c != 0x061c;
    }
}
