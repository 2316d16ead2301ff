package dev.tether.events;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * Writes events in their JSON form ({@code docs/events.md}) straight into a growable byte buffer:
 * the one encoder behind {@link EventJson} and the audit store's hot path (Jackson's generator
 * costs about twice as much per event, most of it per-field bookkeeping this fixed schema does not
 * need). Escaping follows RFC 8259 as Jackson does ({@code \"}, {@code \\}, {@code \n}-style
 * short forms, {@code \\u00XX} for other controls, UTF-8 for the rest); an unpaired surrogate, which
 * has no UTF-8 form, is written as its {@code \\uXXXX} escape, so it round-trips. Not thread-safe:
 * one per writing thread, reused.
 */
public final class EventWriter {
    private static final byte[] HEX = "0123456789ABCDEF".getBytes(StandardCharsets.US_ASCII);
    private byte[] buf;
    private int len;
    /** Whether the next field follows another in the same object. */
    private boolean afterField;
    private long cachedDay;
    private byte[] cachedDate;

    public EventWriter() {
        this(4096);
    }

    public EventWriter(int initialCapacity) {
        buf = new byte[Math.max(64, initialCapacity)];
    }

    public void reset() {
        len = 0;
    }

    public int length() {
        return len;
    }

    /** The buffer; valid bytes are {@code [0, length())}. */
    public byte[] array() {
        return buf;
    }

    public byte[] toByteArray() {
        return Arrays.copyOf(buf, len);
    }

    public void newline() {
        put((byte) '\n');
    }

    /** Appends {@code e} as one JSON object (no newline). */
    public void write(Event e) {
        ensure(256);
        raw("{\"time\":\"");
        time(e.timeNs());
        put((byte) '"');
        afterField = true;
        stringField("session", e.session());
        stringField("principal", e.principal());
        asciiField("layer", e.layer().jsonName());
        asciiField("action", e.kind().jsonName());
        stringField("resource", e.resource());
        asciiField("decision", e.decision().jsonName());
        if (!e.policies().isEmpty()) {
            stringArray("policies", e.policies());
        }
        stringField("reason", e.reason());
        intField("errno", e.errno());
        nonZero("pid", e.pid());
        nonZero("ppid", e.ppid());
        nonZero("tid", e.tid());
        stringField("comm", e.comm());
        stringField("exe", e.exe());
        if (e.cgroupId() != 0) {
            name("cgroup");
            number(e.cgroupId());
        }
        if (!e.flags().isEmpty()) {
            name("flags");
            put((byte) '[');
            boolean first = true;
            for (EventFlag f : e.flags()) {
                if (!first) {
                    put((byte) ',');
                }
                first = false;
                put((byte) '"');
                raw(f.jsonName());
                put((byte) '"');
            }
            put((byte) ']');
        }
        if (e.detail() != null) {
            name("detail");
            detail(e.detail());
        }
        put((byte) '}');
    }

    private void detail(EventDetail detail) {
        put((byte) '{');
        afterField = false;
        DetailFields.visit(detail, detailFields);
        put((byte) '}');
        afterField = true;
    }

    /** A detail's fields as this writer's JSON (DetailFields has their names and order). */
    private final DetailFields.Sink detailFields = new DetailFields.Sink() {
        @Override
        public void text(String name, String value) {
            stringField(name, value);
        }

        @Override
        public void ascii(String name, String value) {
            asciiField(name, value);
        }

        @Override
        public void integer(String name, int value) {
            name(name);
            EventWriter.this.number(value);
        }

        @Override
        public void number(String name, long value) {
            name(name);
            EventWriter.this.number(value);
        }

        @Override
        public void bool(String name, boolean value) {
            name(name);
            raw(value ? "true" : "false");
        }

        @Override
        public void texts(String name, List<String> values) {
            stringArray(name, values);
        }
    };

    // ------------------------------------------------------------------ primitives

    /** {@code "name":}, after a comma unless it is the object's first field. */
    private void name(String name) {
        ensure(name.length() + 4);
        if (afterField) {
            buf[len++] = ',';
        }
        afterField = true;
        buf[len++] = '"';
        for (int i = 0; i < name.length(); i++) {
            buf[len++] = (byte) name.charAt(i);
        }
        buf[len++] = '"';
        buf[len++] = ':';
    }

    private void stringField(String name, String value) {
        if (value != null) {
            name(name);
            string(value);
        }
    }

    /** For values known to be plain ASCII without quotes (enum names). */
    private void asciiField(String name, String value) {
        name(name);
        ensure(value.length() + 2);
        buf[len++] = '"';
        for (int i = 0; i < value.length(); i++) {
            buf[len++] = (byte) value.charAt(i);
        }
        buf[len++] = '"';
    }

    private void intField(String name, Integer value) {
        if (value != null) {
            name(name);
            number(value);
        }
    }

    private void nonZero(String name, int value) {
        if (value != 0) {
            name(name);
            number(value);
        }
    }

    private void stringArray(String name, List<String> values) {
        name(name);
        put((byte) '[');
        for (int i = 0; i < values.size(); i++) {
            if (i > 0) {
                put((byte) ',');
            }
            string(values.get(i));
        }
        put((byte) ']');
    }

    private void string(String s) {
        int n = s.length();
        ensure(n + 2);
        buf[len++] = '"';
        int i = 0;
        // Fast path: printable ASCII needs no escaping.
        while (i < n) {
            char c = s.charAt(i);
            if (c < 0x20 || c >= 0x80 || c == '"' || c == '\\') {
                break;
            }
            buf[len++] = (byte) c;
            i++;
        }
        for (; i < n; i++) {
            char c = s.charAt(i);
            ensure(12);
            if (c < 0x80) {
                if (c >= 0x20 && c != '"' && c != '\\') {
                    buf[len++] = (byte) c;
                } else {
                    escapeAscii(c);
                }
            } else if (c < 0x800) {
                buf[len++] = (byte) (0xc0 | c >> 6);
                buf[len++] = (byte) (0x80 | c & 0x3f);
            } else if (Character.isSurrogate(c)) {
                if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
                    int cp = Character.toCodePoint(c, s.charAt(++i));
                    buf[len++] = (byte) (0xf0 | cp >> 18);
                    buf[len++] = (byte) (0x80 | cp >> 12 & 0x3f);
                    buf[len++] = (byte) (0x80 | cp >> 6 & 0x3f);
                    buf[len++] = (byte) (0x80 | cp & 0x3f);
                } else {
                    unicodeEscape(c);
                }
            } else {
                buf[len++] = (byte) (0xe0 | c >> 12);
                buf[len++] = (byte) (0x80 | c >> 6 & 0x3f);
                buf[len++] = (byte) (0x80 | c & 0x3f);
            }
        }
        ensure(1);
        buf[len++] = '"';
    }

    private void escapeAscii(char c) {
        buf[len++] = '\\';
        switch (c) {
            case '"' -> buf[len++] = '"';
            case '\\' -> buf[len++] = '\\';
            case '\n' -> buf[len++] = 'n';
            case '\r' -> buf[len++] = 'r';
            case '\t' -> buf[len++] = 't';
            case '\b' -> buf[len++] = 'b';
            case '\f' -> buf[len++] = 'f';
            default -> {
                len--;
                unicodeEscape(c);
            }
        }
    }

    private void unicodeEscape(char c) {
        buf[len++] = '\\';
        buf[len++] = 'u';
        buf[len++] = HEX[c >> 12 & 0xf];
        buf[len++] = HEX[c >> 8 & 0xf];
        buf[len++] = HEX[c >> 4 & 0xf];
        buf[len++] = HEX[c & 0xf];
    }

    private void number(long v) {
        ensure(20);
        if (v == Long.MIN_VALUE) {
            raw("-9223372036854775808");
            return;
        }
        if (v < 0) {
            buf[len++] = '-';
            v = -v;
        }
        int digits = 1;
        for (long x = v; x >= 10; x /= 10) {
            digits++;
        }
        for (int i = len + digits - 1; i >= len; i--) {
            buf[i] = (byte) ('0' + v % 10);
            v /= 10;
        }
        len += digits;
    }

    /** The same text as {@link EventJson#formatTime}, with the date part cached per day. */
    private void time(long timeNs) {
        long sec = Math.floorDiv(timeNs, 1_000_000_000L);
        int nano = (int) Math.floorMod(timeNs, 1_000_000_000L);
        long day = Math.floorDiv(sec, 86_400L);
        if (day != cachedDay || cachedDate == null) {
            String t = EventJson.formatTime(timeNs);
            if (t.length() != 30) { // outside years 0-9999: rare enough to format in full
                raw(t);
                return;
            }
            cachedDay = day;
            cachedDate = t.substring(0, 11).getBytes(StandardCharsets.US_ASCII);
        }
        ensure(30);
        System.arraycopy(cachedDate, 0, buf, len, 11);
        len += 11;
        int secOfDay = (int) Math.floorMod(sec, 86_400L);
        digits(secOfDay / 3600, 2);
        buf[len++] = ':';
        digits(secOfDay / 60 % 60, 2);
        buf[len++] = ':';
        digits(secOfDay % 60, 2);
        buf[len++] = '.';
        digits(nano, 9);
        buf[len++] = 'Z';
    }

    private void digits(int value, int width) {
        for (int i = len + width - 1; i >= len; i--) {
            buf[i] = (byte) ('0' + value % 10);
            value /= 10;
        }
        len += width;
    }

    private void raw(String ascii) {
        ensure(ascii.length());
        for (int i = 0; i < ascii.length(); i++) {
            buf[len++] = (byte) ascii.charAt(i);
        }
    }

    private void put(byte b) {
        ensure(1);
        buf[len++] = b;
    }

    private void ensure(int more) {
        if (len + more > buf.length) {
            buf = Arrays.copyOf(buf, Math.max(buf.length * 2, len + more));
        }
    }
}
