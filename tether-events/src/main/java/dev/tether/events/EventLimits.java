package dev.tether.events;

import java.util.ArrayList;
import java.util.List;

/**
 * Size limits that keep an event small (the audit store's and the live stream's cost is per byte).
 * Anything cut is flagged on the event, never silently shortened.
 */
public final class EventLimits {
    /** A path as the kernel hands it over: PATH_MAX. */
    public static final int MAX_PATH_BYTES = 4096;
    /** Total bytes of argv kept (the kernel monitor reads at most this much too). */
    public static final int MAX_ARGV_BYTES = 8192;
    /** A URL recorded by the proxy. */
    public static final int MAX_URL_BYTES = 2048;
    /** Any other free text: reasons, MCP arguments, error messages. */
    public static final int MAX_TEXT_BYTES = 1024;
    /** Entries kept in a list of messages (e.g. policy errors). */
    public static final int MAX_LIST_ENTRIES = 32;

    private EventLimits() {}

    /** Result of {@link #cut}: the kept prefix and whether anything was removed. */
    public record Cut(String text, boolean truncated) {}

    /**
     * The longest prefix of {@code s} whose UTF-8 form fits {@code maxBytes}, never splitting a
     * character or a {@link KernelText} escape ({@code \\}, {@code \xNN}).
     */
    public static Cut cut(String s, int maxBytes) {
        if (s == null || s.length() * 3 <= maxBytes) {
            return new Cut(s, false);
        }
        int bytes = 0;
        int end = 0;
        while (end < s.length()) {
            char c = s.charAt(end);
            int width;
            int chars = 1;
            if (c < 0x80) {
                width = 1;
            } else if (c < 0x800) {
                width = 2;
            } else if (Character.isHighSurrogate(c) && end + 1 < s.length() && Character.isLowSurrogate(s.charAt(end + 1))) {
                width = 4;
                chars = 2;
            } else {
                width = 3;
            }
            if (bytes + width > maxBytes) {
                break;
            }
            bytes += width;
            end += chars;
        }
        if (end == s.length()) {
            return new Cut(s, false);
        }
        return new Cut(s.substring(0, escapeSafeEnd(s, end)), true);
    }

    /**
     * Moves {@code end} back so the prefix does not stop inside a backslash escape. Cuts are rare
     * (over-long texts only), so a scan from the start is fine. On text that is not in escaped form
     * this may keep up to three characters fewer, still a flagged prefix.
     */
    private static int escapeSafeEnd(String s, int end) {
        int i = 0;
        while (i < end) {
            if (s.charAt(i) == '\\') {
                int len = i + 1 < s.length() && s.charAt(i + 1) == 'x' ? 4 : 2;
                if (i + len > end) {
                    return i;
                }
                i += len;
            } else {
                i++;
            }
        }
        return end;
    }

    static Cut cutPath(String s) {
        return cut(s, MAX_PATH_BYTES);
    }

    static Cut cutText(String s) {
        return cut(s, MAX_TEXT_BYTES);
    }

    /** Result of {@link #cutList}. */
    public record CutList(List<String> items, boolean truncated) {}

    /**
     * Keeps leading entries while their UTF-8 size (plus one separator byte each) fits {@code
     * maxBytes} and at most {@code maxEntries}; the last kept entry may itself be a cut prefix.
     */
    public static CutList cutList(List<String> items, int maxBytes, int maxEntries) {
        if (items == null) {
            return new CutList(null, false);
        }
        List<String> kept = new ArrayList<>(Math.min(items.size(), maxEntries));
        int budget = maxBytes;
        boolean truncated = false;
        for (String item : items) {
            if (kept.size() == maxEntries || budget <= 0) {
                truncated = true;
                break;
            }
            Cut c = cut(item, budget);
            if (c.truncated()) {
                truncated = true;
                if (!c.text().isEmpty()) {
                    kept.add(c.text());
                }
                break;
            }
            kept.add(item);
            budget -= utf8Length(item) + 1;
        }
        return truncated ? new CutList(List.copyOf(kept), true) : new CutList(items, false);
    }

    static int utf8Length(String s) {
        int n = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                n++;
            } else if (c < 0x800) {
                n += 2;
            } else if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                n += 4;
                i++;
            } else {
                n += 3;
            }
        }
        return n;
    }
}
