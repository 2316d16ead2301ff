package dev.tether.policy.text;

/**
 * One lexical token of Cedar source. {@code value} is the decoded content for strings, the text
 * otherwise; {@code start}/{@code end} are char offsets into the whole file.
 */
public record Token(Kind kind, String value, int start, int end) {
    public enum Kind {
        IDENT,
        STRING,
        NUMBER,
        PUNCT
    }

    public boolean is(Kind k, String v) {
        return kind == k && value.equals(v);
    }

    public boolean isPunct(String v) {
        return is(Kind.PUNCT, v);
    }
}
