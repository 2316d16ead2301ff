package dev.tether.fuzz.proxy;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The event-stream interpretation of the HTML standard ("Parsing an event stream", "Interpreting
 * an event stream"), reduced to what a client is handed: the data of each dispatched event. The
 * reference for what the proxy must see; written from the specification, independent of the code
 * under test.
 */
final class SpecSseParser {
    private SpecSseParser() {}

    static List<String> dataOf(byte[] stream) {
        String text = new String(stream, StandardCharsets.UTF_8);
        if (text.startsWith("\uFEFF")) {
            text = text.substring(1); // one leading BOM is ignored
        }
        List<String> out = new ArrayList<>();
        StringBuilder data = new StringBuilder();
        int i = 0;
        int n = text.length();
        while (i < n) {
            int end = i;
            while (end < n && text.charAt(end) != '\n' && text.charAt(end) != '\r') {
                end++;
            }
            if (end == n) {
                break; // an unterminated last line is not processed
            }
            if (text.charAt(end) == '\r' && end + 1 == n) {
                break; // CR at the very end: the line end may still be CRLF
            }
            String line = text.substring(i, end);
            i = end + (text.charAt(end) == '\r' && text.charAt(end + 1) == '\n' ? 2 : 1);
            if (line.isEmpty()) {
                if (!data.isEmpty()) {
                    String d = data.toString();
                    out.add(d.endsWith("\n") ? d.substring(0, d.length() - 1) : d);
                }
                data.setLength(0);
                continue;
            }
            if (line.startsWith(":")) {
                continue;
            }
            int colon = line.indexOf(':');
            String field = colon < 0 ? line : line.substring(0, colon);
            String value = colon < 0 ? "" : line.substring(colon + 1);
            if (value.startsWith(" ")) {
                value = value.substring(1);
            }
            if (field.equals("data")) {
                data.append(value).append('\n');
            }
        }
        return out;
    }
}
