package dev.tether.kernel.event;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Kernel strings are bytes, not text: paths may hold invalid UTF-8. Decoding keeps every byte
 * recoverable by writing each invalid one as {@code \xNN} (and a literal backslash as {@code \\}
 * only when escapes were needed, so ordinary paths stay as they are).
 */
public final class ByteStrings {
    private ByteStrings() {}

    public static String decode(byte[] bytes, int offset, int length) {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        try {
            return decoder.decode(ByteBuffer.wrap(bytes, offset, length)).toString();
        } catch (CharacterCodingException e) {
            return decodeEscaping(bytes, offset, length);
        }
    }

    private static String decodeEscaping(byte[] bytes, int offset, int length) {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes, offset, length);
        CharBuffer out = CharBuffer.allocate(length * 4 + 16);
        StringBuilder sb = new StringBuilder(length + 16);
        while (true) {
            CoderResult r = decoder.decode(in, out, true);
            out.flip();
            appendEscapingBackslash(sb, out);
            out.clear();
            if (r.isError()) {
                for (int i = 0; i < r.length(); i++) {
                    sb.append(String.format("\\x%02x", in.get() & 0xff));
                }
            } else if (r.isUnderflow()) {
                break;
            }
        }
        return sb.toString();
    }

    private static void appendEscapingBackslash(StringBuilder sb, CharBuffer chars) {
        while (chars.hasRemaining()) {
            char c = chars.get();
            if (c == '\\') {
                sb.append("\\\\");
            } else {
                sb.append(c);
            }
        }
    }
}
