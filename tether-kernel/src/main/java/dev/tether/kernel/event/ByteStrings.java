package dev.tether.kernel.event;

import dev.tether.events.KernelText;

/**
 * Kernel strings are bytes, not text: paths may hold invalid UTF-8. Decoding keeps every byte
 * recoverable by writing each invalid one as {@code \xNN} (and a literal backslash as {@code \\}
 * only when escapes were needed, so ordinary paths stay as they are): {@link KernelText}'s
 * escaped form, the one rule the whole audit trail uses. Use {@link KernelText#decode} where the
 * caller must also know whether the text is escaped.
 */
public final class ByteStrings {
    private ByteStrings() {}

    public static String decode(byte[] bytes, int offset, int length) {
        return KernelText.decode(bytes, offset, length).text();
    }
}
