package dev.tether.server.policy;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Splits Cedar source into its statements (each {@code permit(...)...;} or {@code forbid(...)...;}
 * with its annotations), respecting strings and {@code //} comments. Used for patching the policy
 * statement by statement and for the "lines" view; the policy engine does the real parsing.
 */
public final class CedarStatements {
    private CedarStatements() {}

    /**
     * One statement: its text (trimmed, comments outside it dropped), the 1-based line it starts
     * on, its character range {@code [start, end)} in the source, and a stable id derived from its text and position ({@code policy-<index>-<hash>}, as Leash
     * does).
     */
    public record Statement(String id, int index, int line, int start, int end, String text) {
        public String effect() {
            String t = stripAnnotations(text);
            return t.startsWith("forbid") ? "forbid" : "permit";
        }
    }

    public static List<Statement> split(String source) {
        List<Statement> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        int line = 1;
        int startLine = -1;
        int startOffset = 0;
        int depth = 0;
        boolean inString = false;
        int n = source.length();
        for (int i = 0; i < n; i++) {
            char c = source.charAt(i);
            if (inString) {
                cur.append(c);
                if (c == '\\' && i + 1 < n) {
                    cur.append(source.charAt(++i));
                } else if (c == '"') {
                    inString = false;
                } else if (c == '\n') {
                    line++;
                }
                continue;
            }
            if (c == '/' && i + 1 < n && source.charAt(i + 1) == '/') {
                // Skip the comment up to (not including) the newline.
                while (i < n && source.charAt(i) != '\n') {
                    i++;
                }
                i--;
                continue;
            }
            if (c == '\n') {
                line++;
                if (cur.length() > 0) {
                    cur.append(c);
                }
                continue;
            }
            if (Character.isWhitespace(c) && cur.length() == 0) {
                continue;
            }
            if (cur.length() == 0) {
                startLine = line;
                startOffset = i;
            }
            cur.append(c);
            switch (c) {
                case '"' -> inString = true;
                case '(', '{', '[' -> depth++;
                case ')', '}', ']' -> depth = Math.max(0, depth - 1);
                case ';' -> {
                    if (depth == 0) {
                        add(out, cur.toString().trim(), startLine, startOffset, i + 1);
                        cur.setLength(0);
                    }
                }
                default -> {}
            }
        }
        String rest = cur.toString().trim();
        if (!rest.isEmpty()) {
            add(out, rest, startLine, startOffset, n);
        }
        return out;
    }

    private static void add(List<Statement> out, String text, int line, int start, int end) {
        int index = out.size();
        out.add(new Statement(stableId(text, index), index, line, start, end, text));
    }

    /** FNV-1a 64 of the statement text, like Leash's line ids, so scripts can address statements. */
    static String stableId(String text, int index) {
        long h = 0xcbf29ce484222325L;
        for (byte b : text.trim().getBytes(StandardCharsets.UTF_8)) {
            h ^= (b & 0xff);
            h *= 0x100000001b3L;
        }
        return "policy-" + index + "-" + Long.toHexString(h);
    }

    /** Normalises whitespace so two spellings of the same statement compare equal. */
    public static String normalise(String statement) {
        String s = statement.trim();
        if (!s.endsWith(";")) {
            s = s + ";";
        }
        return s.replaceAll("\\s+", " ");
    }

    static String stripAnnotations(String text) {
        String t = text.trim();
        while (t.startsWith("@")) {
            int close = t.indexOf(')');
            if (close < 0) {
                return t;
            }
            t = t.substring(close + 1).trim();
        }
        return t;
    }

    /** Joins statements back into a policy file, one blank line between them. */
    public static String join(List<String> statements) {
        StringBuilder sb = new StringBuilder();
        for (String s : statements) {
            String t = s.trim();
            if (t.isEmpty()) {
                continue;
            }
            if (!t.endsWith(";")) {
                t = t + ";";
            }
            if (sb.length() > 0) {
                sb.append("\n\n");
            }
            sb.append(t);
        }
        return sb.append('\n').toString();
    }
}
