package dev.tether.learn;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.policy.LoadResult;
import dev.tether.policy.PolicyLoader;
import org.junit.jupiter.api.Test;

class CedarTextTest {
    @Test
    void quotedStringsParseBackToTheSameText() {
        String nasty = "a\"b\\c\nd\te\u0001f\u007fg ü";
        String simple = "permit (principal, action == Action::\"FileOpenReadOnly\", resource == "
                + CedarText.entity("File", "/odd\"name\\with\nnewline") + ");";
        assertThat(PolicyLoader.parse(simple, "t.cedar")).isInstanceOf(LoadResult.Loaded.class);
        assertThat(CedarText.quote(nasty)).isEqualTo("\"a\\\"b\\\\c\\nd\\te\\u{1}f\\u{7f}g ü\"");
    }

    @Test
    void likePatternsMatchStarsLiterally() {
        assertThat(CedarText.likePattern("*.c ", true)).isEqualTo("\"\\*.c *\"");
        assertThat(CedarText.likePattern("a", false)).isEqualTo("\"a\"");
    }

    @Test
    void commentsStayOnOneLine() {
        assertThat(CedarText.comment("a\nb\r\u2028c")).isEqualTo("a\\nb\\r\\u{2028}c").doesNotContain("\n");
    }
}
