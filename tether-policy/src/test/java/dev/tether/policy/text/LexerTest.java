package dev.tether.policy.text;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class LexerTest {
    @Test
    void semicolonsInStringsAndCommentsDoNotEndStatements() {
        String text = """
                // a comment; with a semicolon
                @id("a;b")
                permit (principal, action, resource) when { context.args like "x;y\\";z" };
                forbid (principal, action, resource); // trailing; comment
                """;
        Lexer.Result r = Lexer.lex(text);
        assertThat(r.errors()).isEmpty();
        assertThat(r.trailing()).isNull();
        assertThat(r.statements()).hasSize(2);
        assertThat(r.statements().get(0).text()).startsWith("@id(\"a;b\")").endsWith("\"x;y\\\";z\" };");
        assertThat(r.statements().get(1).text()).isEqualTo("forbid (principal, action, resource);");
        assertThat(r.statements().get(1).index()).isEqualTo(1);
    }

    @Test
    void unterminatedPartsAreReportedWithOffsets() {
        Lexer.Result open = Lexer.lex("permit (principal, action, resource) when { \"abc };");
        assertThat(open.errors()).singleElement().satisfies(e -> assertThat(e.offset()).isEqualTo(44));
        Lexer.Result trailing = Lexer.lex("permit (principal, action, resource);\nforbid (principal");
        assertThat(trailing.statements()).hasSize(1);
        assertThat(trailing.trailing().start()).isEqualTo(38);
    }

    @Test
    void nestingAndOperatorLimits() {
        assertThat(Lexer.lex("permit (principal, action, resource) when { " + "(".repeat(23) + "true" + ")".repeat(23) + " };")
                .errors()).isEmpty();
        // the { of when is a level too
        assertThat(Lexer.lex("permit (principal, action, resource) when { " + "(".repeat(24) + "true" + ")".repeat(24) + " };")
                .errors()).extracting(LexError::code).containsExactly("TP004");
        // limits are per statement
        String ok = "permit (principal, action, resource) when { true" + " || true".repeat(900) + " };\n";
        assertThat(Lexer.lex(ok + ok).errors()).isEmpty();
    }

    @Test
    void escapesDecodeForLocatingLiterals() {
        Lexer.Result r = Lexer.lex("permit (principal, action, resource == File::\"/a\\\"b\\u{41}\");");
        assertThat(r.statements().get(0).tokens()).anySatisfy(t -> assertThat(t.value()).isEqualTo("/a\"bA"));
    }

    @Test
    void sourceTextLinesAndColumns() {
        SourceText s = new SourceText("f", "ab\r\ncd\n\nef");
        assertThat(s.line(0)).isEqualTo(1);
        assertThat(s.line(4)).isEqualTo(2);
        assertThat(s.column(5)).isEqualTo(2);
        assertThat(s.lineText(1)).isEqualTo("ab");
        assertThat(s.lineText(3)).isEmpty();
        assertThat(s.lineText(4)).isEqualTo("ef");
        assertThat(s.lineText(9)).isEmpty();
    }
}
