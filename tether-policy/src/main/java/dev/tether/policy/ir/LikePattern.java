package dev.tether.policy.ir;

import java.util.List;

/**
 * A Cedar {@code like} pattern: literal runs separated by {@code *} wildcards. Matching is the
 * classic linear-time glob algorithm (remember the last star, backtrack to it on mismatch).
 *
 * @param parts literal text between wildcards; parts.size() == wildcards + 1
 */
public record LikePattern(List<String> parts) {
    public LikePattern {
        parts = List.copyOf(parts);
    }

    public boolean matches(String s) {
        if (parts.size() == 1) {
            return s.equals(parts.get(0));
        }
        String first = parts.get(0);
        String last = parts.get(parts.size() - 1);
        if (s.length() < first.length() + last.length() || !s.startsWith(first)
                || !s.endsWith(last)) {
            return false;
        }
        int pos = first.length();
        int limit = s.length() - last.length();
        for (int i = 1; i < parts.size() - 1; i++) {
            String p = parts.get(i);
            int found = s.indexOf(p, pos);
            if (found < 0 || found + p.length() > limit) {
                return false;
            }
            pos = found + p.length();
        }
        return true;
    }

    /** The pattern as Cedar source, with {@code *} and specials escaped. */
    public String toCedar() {
        StringBuilder sb = new StringBuilder("\"");
        for (int i = 0; i < parts.size(); i++) {
            if (i > 0) {
                sb.append('*');
            }
            for (char c : parts.get(i).toCharArray()) {
                switch (c) {
                    case '*' -> sb.append("\\*");
                    case '"' -> sb.append("\\\"");
                    case '\\' -> sb.append("\\\\");
                    case '\n' -> sb.append("\\n");
                    case '\t' -> sb.append("\\t");
                    case '\r' -> sb.append("\\r");
                    case '\0' -> sb.append("\\0");
                    default -> sb.append(c);
                }
            }
        }
        return sb.append('"').toString();
    }
}
