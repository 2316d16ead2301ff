package dev.tether.policy.text;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits Cedar source into statements and enforces complexity limits before the text reaches
 * cedar-java. The limits exist because Cedar's native parser recurses per nesting level: about
 * 40 nested parentheses overflow a 1 MiB thread stack and kill the whole JVM (SIGSEGV), which a
 * policy file must never be able to do. The lexer only needs to be exact about what separates
 * statements (strings, comments, {@code ;}); everything else is Cedar's parser's job.
 */
public final class Lexer {
    /** Deepest bracket nesting ({@code ( [ {}) accepted in one statement. */
    public static final int MAX_NESTING = 24;
    /** Most operators in one statement; bounds the depth of left-leaning operator chains. */
    public static final int MAX_OPERATORS = 1000;
    /** Most statements in one file. */
    public static final int MAX_STATEMENTS = 20_000;

    private final String text;
    private final List<LexError> errors = new ArrayList<>();
    private final List<Statement> statements = new ArrayList<>();
    private int trailingStart = -1;

    private Lexer(String text) {
        this.text = text;
    }

    /** Result of lexing a whole file. {@code trailing} is an unterminated last statement, or null. */
    public record Result(List<Statement> statements, Statement trailing, List<LexError> errors) {}

    public static Result lex(String text) {
        Lexer lx = new Lexer(text);
        lx.run();
        Statement trailing = null;
        if (lx.trailingStart >= 0) {
            trailing = lx.pendingTrailing;
        }
        return new Result(List.copyOf(lx.statements), trailing, List.copyOf(lx.errors));
    }

    private Statement pendingTrailing;

    private void run() {
        List<Token> current = new ArrayList<>();
        int depth = 0;
        int operators = 0;
        boolean depthReported = false;
        boolean opsReported = false;
        int i = 0;
        int n = text.length();
        while (i < n) {
            char c = text.charAt(i);
            if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f') {
                i++;
                continue;
            }
            if (c == '/' && i + 1 < n && text.charAt(i + 1) == '/') {
                while (i < n && text.charAt(i) != '\n') {
                    i++;
                }
                continue;
            }
            int start = i;
            Token tok;
            if (c == '"') {
                StringBuilder sb = new StringBuilder();
                i++;
                boolean closed = false;
                while (i < n) {
                    char d = text.charAt(i);
                    if (d == '"') {
                        closed = true;
                        i++;
                        break;
                    }
                    if (d == '\\' && i + 1 < n) {
                        i = unescape(i, sb);
                        continue;
                    }
                    sb.append(d);
                    i++;
                }
                if (!closed) {
                    errors.add(new LexError("TP003", start, "string literal is never closed",
                            "add the closing \" (a string cannot span to the end of the file)"));
                    return;
                }
                tok = new Token(Token.Kind.STRING, sb.toString(), start, i);
            } else if (Character.isLetter(c) || c == '_') {
                while (i < n && (Character.isLetterOrDigit(text.charAt(i)) || text.charAt(i) == '_')) {
                    i++;
                }
                tok = new Token(Token.Kind.IDENT, text.substring(start, i), start, i);
            } else if (c >= '0' && c <= '9') {
                while (i < n && Character.isLetterOrDigit(text.charAt(i))) {
                    i++;
                }
                tok = new Token(Token.Kind.NUMBER, text.substring(start, i), start, i);
            } else {
                String two = i + 1 < n ? text.substring(i, i + 2) : "";
                if (two.equals("::") || two.equals("==") || two.equals("!=") || two.equals("<=")
                        || two.equals(">=") || two.equals("&&") || two.equals("||")) {
                    i += 2;
                } else {
                    i += Character.charCount(text.codePointAt(i));
                }
                tok = new Token(Token.Kind.PUNCT, text.substring(start, i), start, i);
            }
            String v = tok.value();
            if (tok.kind() == Token.Kind.PUNCT) {
                switch (v) {
                    case "(", "[", "{" -> {
                        depth++;
                        if (depth > MAX_NESTING && !depthReported) {
                            depthReported = true;
                            errors.add(new LexError("TP004", start,
                                    "expression nested more than " + MAX_NESTING + " levels deep",
                                    "split the condition into several statements or flatten the brackets"));
                        }
                    }
                    case ")", "]", "}" -> depth = Math.max(0, depth - 1);
                    case "==", "!=", "<", "<=", ">", ">=", "&&", "||", "!", "+", "-", "*", "." -> operators++;
                    default -> {}
                }
            } else if (tok.kind() == Token.Kind.IDENT && (v.equals("in") || v.equals("like") || v.equals("has")
                    || v.equals("is") || v.equals("if"))) {
                operators++;
            }
            if (operators > MAX_OPERATORS && !opsReported) {
                opsReported = true;
                errors.add(new LexError("TP004", start,
                        "statement has more than " + MAX_OPERATORS + " operators",
                        "split it into several statements (Cedar ORs separate statements for you)"));
            }
            current.add(tok);
            if (tok.isPunct(";")) {
                addStatement(current);
                current = new ArrayList<>();
                depth = 0;
                operators = 0;
                depthReported = false;
                opsReported = false;
                if (statements.size() > MAX_STATEMENTS) {
                    errors.add(new LexError("TP001", start,
                            "more than " + MAX_STATEMENTS + " statements", "split the policy or merge statements"));
                    return;
                }
            }
        }
        if (!current.isEmpty()) {
            trailingStart = current.get(0).start();
            pendingTrailing = new Statement(statements.size(), trailingStart, text.length(), current,
                    text.substring(trailingStart));
        }
    }

    private void addStatement(List<Token> toks) {
        int s = toks.get(0).start();
        int e = toks.get(toks.size() - 1).end();
        statements.add(new Statement(statements.size(), s, e, toks, text.substring(s, e)));
    }

    /** Decodes one escape at {@code text[i] == '\\'}; unknown escapes are kept for Cedar to report. */
    private int unescape(int i, StringBuilder sb) {
        char e = text.charAt(i + 1);
        switch (e) {
            case 'n' -> sb.append('\n');
            case 'r' -> sb.append('\r');
            case 't' -> sb.append('\t');
            case '0' -> sb.append('\0');
            case '\\' -> sb.append('\\');
            case '"' -> sb.append('"');
            case '\'' -> sb.append('\'');
            case '*' -> sb.append("\\*");
            case 'u' -> {
                int close = text.indexOf('}', i);
                if (i + 2 < text.length() && text.charAt(i + 2) == '{' && close > 0 && close - i <= 10) {
                    try {
                        sb.appendCodePoint(Integer.parseInt(text.substring(i + 3, close), 16));
                        return close + 1;
                    } catch (IllegalArgumentException ex) {
                        // leave it for Cedar's error message
                    }
                }
                sb.append('\\').append(e);
            }
            default -> sb.append('\\').append(e);
        }
        return i + 2;
    }
}
