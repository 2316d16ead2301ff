package dev.tether.proxy.mcp;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Splits a {@code text/event-stream} byte stream into complete events as bytes arrive, so each
 * event can be inspected and passed on at once (never the whole stream buffered). An event ends
 * at a blank line; CRLF, LF and CR line ends are all accepted, as the SSE specification requires.
 */
public final class SseEventSplitter {
    /** A complete event: its raw bytes (including the terminating blank line) and parsed fields. */
    public record SseEvent(byte[] raw, String event, String data, String id) {
        /** The same event with new data, keeping its id and event name. */
        public byte[] withData(String newData) {
            StringBuilder sb = new StringBuilder();
            if (id != null) sb.append("id: ").append(id).append('\n');
            if (event != null) sb.append("event: ").append(event).append('\n');
            for (String line : newData.split("\n", -1)) sb.append("data: ").append(line).append('\n');
            sb.append('\n');
            return sb.toString().getBytes(StandardCharsets.UTF_8);
        }
    }

    private final int maxEventBytes;
    private byte[] buf = new byte[8192];
    private int len;
    private int scan;
    private int eventStart;
    private boolean sawContentInEvent;
    /** Nothing has been consumed yet: a UTF-8 BOM here is not part of the first line (WHATWG). */
    private boolean atStreamStart = true;

    public SseEventSplitter(int maxEventBytes) {
        this.maxEventBytes = maxEventBytes;
    }

    /** Appends bytes; returns the events they completed. Throws when one event exceeds the limit. */
    public List<SseEvent> feed(byte[] bytes, int off, int n) {
        ensure(n);
        System.arraycopy(bytes, off, buf, len, n);
        len += n;
        List<SseEvent> out = new ArrayList<>(1);
        int lineStart = scan;
        while (scan < len) {
            byte b = buf[scan];
            if (b == '\n' || b == '\r') {
                int lineEnd = scan;
                int next = scan + 1;
                if (b == '\r') {
                    if (next >= len) break; // a CR may be followed by LF in the next chunk
                    if (buf[next] == '\n') next++;
                }
                boolean empty = lineEnd == lineStart;
                if (empty && sawContentInEvent) {
                    out.add(parse(eventStart, next, atStreamStart));
                    eventStart = next;
                    sawContentInEvent = false;
                    atStreamStart = false;
                } else if (empty) {
                    eventStart = next; // stray blank lines between events
                    atStreamStart = false;
                } else {
                    sawContentInEvent = true;
                }
                scan = next;
                lineStart = next;
            } else {
                scan++;
            }
        }
        scan = lineStart; // rescan an incomplete line next time
        compact();
        if (len - eventStart > maxEventBytes) {
            throw new IllegalStateException("SSE event larger than " + maxEventBytes + " bytes");
        }
        return out;
    }

    /** Bytes of an unfinished event left at the end of the stream (a truncated frame), or 0. */
    public int pendingBytes() {
        return len - eventStart;
    }

    /** Hands over the unfinished event's bytes and forgets them (used when parsing stops). */
    public byte[] takePending() {
        byte[] out = java.util.Arrays.copyOfRange(buf, eventStart, len);
        len = eventStart = scan = 0;
        sawContentInEvent = false;
        atStreamStart = false;
        return out;
    }

    private SseEvent parse(int from, int to, boolean streamStart) {
        byte[] raw = java.util.Arrays.copyOfRange(buf, from, to);
        String text = new String(raw, StandardCharsets.UTF_8);
        if (streamStart && text.startsWith("\uFEFF")) {
            // Clients ignore one leading BOM, so the first field after it is a real field: read it
            // as they do, or its data would reach them uninspected. raw keeps the BOM (pass-through).
            text = text.substring(1);
        }
        String event = null, id = null;
        StringBuilder data = null;
        for (String line : text.split("\r\n|\r|\n")) {
            if (line.isEmpty() || line.startsWith(":")) continue;
            int colon = line.indexOf(':');
            String field = colon < 0 ? line : line.substring(0, colon);
            String value = colon < 0 ? "" : line.substring(colon + 1);
            if (value.startsWith(" ")) value = value.substring(1);
            switch (field) {
                case "event" -> event = value;
                case "id" -> id = value;
                case "data" -> {
                    if (data == null) data = new StringBuilder(value);
                    else data.append('\n').append(value);
                }
                default -> {}
            }
        }
        return new SseEvent(raw, event, data == null ? null : data.toString(), id);
    }

    private void ensure(int n) {
        if (len + n > buf.length) {
            byte[] nb = new byte[Math.max(buf.length * 2, len + n)];
            System.arraycopy(buf, 0, nb, 0, len);
            buf = nb;
        }
    }

    private void compact() {
        if (eventStart > 0) {
            System.arraycopy(buf, eventStart, buf, 0, len - eventStart);
            len -= eventStart;
            scan -= eventStart;
            eventStart = 0;
        }
    }
}
