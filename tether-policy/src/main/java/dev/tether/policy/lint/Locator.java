package dev.tether.policy.lint;

import dev.tether.policy.Finding;
import dev.tether.policy.Severity;
import dev.tether.policy.text.SourceText;
import dev.tether.policy.text.Statement;
import dev.tether.policy.text.Token;
import java.nio.charset.StandardCharsets;

/** Turns offsets and token locators into file:line:column findings. */
public final class Locator {
    private final SourceText src;

    public Locator(SourceText src) {
        this.src = src;
    }

    public SourceText source() {
        return src;
    }

    public Finding at(int offset, String code, Severity sev, String message, String suggestion) {
        int line = src.line(offset);
        return new Finding(code, sev, src.name(), line, src.column(offset), src.lineText(line), message,
                suggestion == null ? "" : suggestion);
    }

    /** Locates an issue inside its statement by the first token matching its locator. */
    public Finding locate(Issue issue, Statement st) {
        return at(offsetOf(st, issue.locator()), issue.code(), issue.severity(), issue.message(), issue.suggestion());
    }

    /**
     * Offset of the first token whose text (decoded, for strings) equals {@code locator}; for a
     * locator of the form {@code Type::"id"} the string token preceded by {@code Type ::}.
     */
    public static int offsetOf(Statement st, String locator) {
        if (locator == null) {
            return st.start();
        }
        var toks = st.tokens();
        int sep = locator.indexOf("::\"");
        if (sep > 0 && locator.endsWith("\"")) {
            String type = locator.substring(0, sep);
            String lastType = type.contains("::") ? type.substring(type.lastIndexOf("::") + 2) : type;
            String id = locator.substring(sep + 3, locator.length() - 1);
            for (int i = 2; i < toks.size(); i++) {
                Token t = toks.get(i);
                if (t.kind() == Token.Kind.STRING && t.value().equals(id) && toks.get(i - 1).isPunct("::")
                        && toks.get(i - 2).is(Token.Kind.IDENT, lastType)) {
                    int j = i - 2;
                    while (j >= 2 && toks.get(j - 1).isPunct("::") && toks.get(j - 2).kind() == Token.Kind.IDENT) {
                        j -= 2;
                    }
                    return toks.get(j).start();
                }
            }
            for (Token t : toks) {
                if (t.kind() == Token.Kind.STRING && t.value().equals(id)) {
                    return t.start();
                }
            }
            return st.start();
        }
        for (Token t : toks) {
            if (t.value().equals(locator)) {
                return t.start();
            }
        }
        return st.start();
    }

    /** Char offset in {@code text} of a UTF-8 byte offset (Cedar reports byte offsets). */
    public static int charOffset(String text, int byteOffset) {
        if (byteOffset <= 0) {
            return 0;
        }
        int bytes = 0;
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            int len = new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8).length;
            if (bytes + len > byteOffset) {
                return i;
            }
            bytes += len;
            i += Character.charCount(cp);
            if (bytes == byteOffset) {
                return i;
            }
        }
        return text.length();
    }
}
