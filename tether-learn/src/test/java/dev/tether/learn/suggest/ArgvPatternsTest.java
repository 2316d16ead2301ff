package dev.tether.learn.suggest;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SortedMap;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class ArgvPatternsTest {
    private static SortedMap<String, Long> seen(String... args) {
        SortedMap<String, Long> m = new TreeMap<>();
        for (String a : args) {
            m.merge(a, 1L, Long::sum);
        }
        return m;
    }

    @Test
    void fewArgumentListsAreEachPermittedExactly() {
        assertThat(ArgvPatterns.of(seen("--version", "status --short", "--version"), 5).condition())
                .isEqualTo("context.args == \"--version\" || context.args == \"status --short\"");
        assertThat(ArgvPatterns.of(seen(""), 5).condition()).isEqualTo("context.args == \"\"");
    }

    @Test
    void manyListsWithFewFirstArgumentsConstrainTheFirstArgument() {
        ArgvPatterns.Pattern p = ArgvPatterns.of(seen("log -1", "log -2", "log -3", "diff a", "diff b", "diff c"), 2);
        assertThat(p.condition()).isEqualTo("context.args == \"diff\" || context.args like \"diff *\""
                + " || context.args == \"log\" || context.args like \"log *\"");
        assertThat(p.explanation()).contains("6 argument lists").contains("2 first arguments");
    }

    @Test
    void tooVariedMeansNoCondition() {
        ArgvPatterns.Pattern p = ArgvPatterns.of(seen("a", "b", "c", "d"), 3);
        assertThat(p.condition()).isNull();
        assertThat(p.explanation()).contains("too varied");
    }

    @Test
    void wildcardsAndQuotesInArgumentsAreLiteral() {
        ArgvPatterns.Pattern p = ArgvPatterns.of(seen("*.c -x", "*.c -y", "say \"hi\""), 2);
        assertThat(p.condition()).contains("context.args like \"\\*.c *\"").contains("context.args == \"say\"");
        assertThat(ArgvPatterns.of(seen("say \"hi\"\n"), 1).condition()).isEqualTo("context.args == \"say \\\"hi\\\"\\n\"");
    }
}
