package dev.tether.events;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns bytes from the kernel (paths, comm, argv: arbitrary bytes, not necessarily UTF-8) into
 * event text, faithfully. Valid UTF-8 becomes that exact text. Anything else becomes the
 * <em>escaped form</em>: each byte that is not part of a valid UTF-8 sequence is written
 * {@code \xNN} (lower-case hex) and each backslash {@code \\}; the event flags the field
 * ({@link EventFlag}) so a reader knows to {@link #unescape} it. A sandboxed process cannot forge
 * the flag, so a valid path that merely contains {@code \x41} is never misread.
 */
public final class KernelText {
    private KernelText() {}

    /** Decoded text and whether it is in escaped form. */
    public record Decoded(String text, boolean escaped) {}

    /** Decoded NUL-separated strings (argv) and whether any is in escaped form. */
    public record DecodedList(List<String> items, boolean escaped) {}

    public static Decoded decode(byte[] bytes) {
        return decode(bytes, 0, bytes.length);
    }

    public static Decoded decode(byte[] b, int off, int len) {
        int end = off + len;
        int i = off;
        while (i < end && b[i] >= 0) {
            i++;
        }
        if (i == end) {
            return new Decoded(new String(b, off, len, StandardCharsets.ISO_8859_1), false);
        }
        if (validUtf8(b, i, end)) {
            return new Decoded(new String(b, off, len, StandardCharsets.UTF_8), false);
        }
        return new Decoded(escape(b, off, end), true);
    }

    /** Splits {@code len} bytes of NUL-separated strings (a trailing NUL is optional). */
    public static DecodedList decodeNulSeparated(byte[] b, int off, int len) {
        List<String> items = new ArrayList<>();
        boolean escaped = false;
        int end = off + len;
        int start = off;
        for (int i = off; i <= end; i++) {
            if (i == end || b[i] == 0) {
                if (i == end && start == end) {
                    break;
                }
                Decoded d = decode(b, start, i - start);
                items.add(d.text());
                escaped |= d.escaped();
                start = i + 1;
            }
        }
        if (escaped) {
            // One flag covers the list, so every entry must be in the same (escaped) form.
            List<String> all = new ArrayList<>(items.size());
            start = off;
            for (int i = off; i <= end; i++) {
                if (i == end || b[i] == 0) {
                    if (i == end && start == end) {
                        break;
                    }
                    all.add(escape(b, start, i));
                    start = i + 1;
                }
            }
            return new DecodedList(List.copyOf(all), true);
        }
        return new DecodedList(List.copyOf(items), false);
    }

    /** Puts already-decoded text into escaped form (to combine it with escaped siblings). */
    public static String escape(String text) {
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        return escape(b, 0, b.length);
    }

    /** The exact bytes an escaped-form text stands for. */
    public static byte[] unescape(String escaped) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(escaped.length());
        byte[] utf8 = escaped.getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < utf8.length; i++) {
            byte c = utf8[i];
            if (c == '\\' && i + 1 < utf8.length) {
                if (utf8[i + 1] == '\\') {
                    out.write('\\');
                    i++;
                    continue;
                }
                if (utf8[i + 1] == 'x' && i + 3 < utf8.length) {
                    int hi = Character.digit(utf8[i + 2], 16);
                    int lo = Character.digit(utf8[i + 3], 16);
                    if (hi >= 0 && lo >= 0) {
                        out.write(hi << 4 | lo);
                        i += 3;
                        continue;
                    }
                }
            }
            out.write(c);
        }
        return out.toByteArray();
    }

    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private static String escape(byte[] b, int off, int end) {
        StringBuilder sb = new StringBuilder(end - off + 16);
        int i = off;
        while (i < end) {
            int c = b[i] & 0xff;
            if (c == '\\') {
                sb.append("\\\\");
                i++;
            } else if (c < 0x80) {
                sb.append((char) c);
                i++;
            } else {
                int n = sequenceLength(b, i, end);
                if (n > 0) {
                    sb.append(new String(b, i, n, StandardCharsets.UTF_8));
                    i += n;
                } else {
                    sb.append("\\x").append(HEX[c >> 4]).append(HEX[c & 0xf]);
                    i++;
                }
            }
        }
        return sb.toString();
    }

    private static boolean validUtf8(byte[] b, int i, int end) {
        while (i < end) {
            if (b[i] >= 0) {
                i++;
                continue;
            }
            int n = sequenceLength(b, i, end);
            if (n == 0) {
                return false;
            }
            i += n;
        }
        return true;
    }

    /**
     * Length of the well-formed UTF-8 sequence starting at a non-ASCII byte, or 0 when it is not
     * one (Unicode Table 3-7: no overlongs, no surrogates, nothing above U+10FFFF).
     */
    private static int sequenceLength(byte[] b, int i, int end) {
        int c = b[i] & 0xff;
        if (c >= 0xc2 && c <= 0xdf) {
            return i + 1 < end && cont(b[i + 1]) ? 2 : 0;
        }
        if (c >= 0xe0 && c <= 0xef) {
            if (i + 2 >= end) {
                return 0;
            }
            int c1 = b[i + 1] & 0xff;
            boolean ok1 = c == 0xe0 ? c1 >= 0xa0 && c1 <= 0xbf : c == 0xed ? c1 >= 0x80 && c1 <= 0x9f : cont(b[i + 1]);
            return ok1 && cont(b[i + 2]) ? 3 : 0;
        }
        if (c >= 0xf0 && c <= 0xf4) {
            if (i + 3 >= end) {
                return 0;
            }
            int c1 = b[i + 1] & 0xff;
            boolean ok1 = c == 0xf0 ? c1 >= 0x90 && c1 <= 0xbf : c == 0xf4 ? c1 >= 0x80 && c1 <= 0x8f : cont(b[i + 1]);
            return ok1 && cont(b[i + 2]) && cont(b[i + 3]) ? 4 : 0;
        }
        return 0;
    }

    private static boolean cont(byte x) {
        return (x & 0xc0) == 0x80;
    }
}
