package dev.tether.learn;

/** Writing Cedar source text: string literals and entity references that Cedar's parser reads back exactly. */
public final class CedarText {
    private CedarText() {}

    /** {@code s} as a Cedar string literal, quotes included; control characters as Cedar unicode escapes. */
    public static String quote(String s) {
        StringBuilder sb = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20 || c == 0x7f) {
                        sb.append("\\u{").append(Integer.toHexString(c)).append('}');
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.append('"').toString();
    }

    /** {@code Type::"id"}. */
    public static String entity(String type, String id) {
        return type + "::" + quote(id);
    }

    /**
     * A Cedar {@code like} pattern matching {@code s} literally, with a trailing wildcard when
     * {@code prefix}: {@code *} in the text is escaped as {@code \*}. Returned as a quoted literal.
     */
    public static String likePattern(String s, boolean prefix) {
        StringBuilder sb = new StringBuilder(s.length() + 4).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '*' -> sb.append("\\*");
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20 || c == 0x7f) {
                        sb.append("\\u{").append(Integer.toHexString(c)).append('}');
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        if (prefix) {
            sb.append('*');
        }
        return sb.append('"').toString();
    }

    /**
     * Text safe to put on one {@code //} comment line: control characters (a newline would end the
     * comment and let recorded text become policy) shown escaped.
     */
    public static String comment(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\n') {
                sb.append("\\n");
            } else if (c == '\r') {
                sb.append("\\r");
            } else if (c < 0x20 || c == 0x7f || c == '\u2028' || c == '\u2029' || c == '\u0085') {
                sb.append("\\u{").append(Integer.toHexString(c)).append('}');
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }
}
