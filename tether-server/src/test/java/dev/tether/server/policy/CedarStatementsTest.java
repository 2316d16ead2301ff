package dev.tether.server.policy;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class CedarStatementsTest {
    @Test
    void splitsOnTopLevelSemicolonsOnlyAndTracksLinesAndRanges() {
        String src = """
                // header; not a statement
                @id("a;b")
                permit (principal, action, resource == File::"/x;y") // trailing ; comment
                when { context.args like "*;*" };

                forbid (principal, action, resource);
                permit (principal, action, resource == File::"/q\\"uote;")""";
        List<CedarStatements.Statement> st = CedarStatements.split(src);
        assertThat(st).hasSize(3);
        assertThat(st.get(0).line()).isEqualTo(2);
        assertThat(st.get(0).text()).startsWith("@id(\"a;b\")").endsWith("};").doesNotContain("trailing");
        assertThat(st.get(0).effect()).isEqualTo("permit");
        assertThat(st.get(1).line()).isEqualTo(6);
        assertThat(st.get(1).effect()).isEqualTo("forbid");
        assertThat(src.substring(st.get(1).start(), st.get(1).end())).isEqualTo("forbid (principal, action, resource);");
        assertThat(st.get(2).text()).endsWith("\"/q\\\"uote;\")");
        assertThat(st.get(0).id()).startsWith("policy-0-").isNotEqualTo(CedarStatements.split(src.replace("/x;y", "/z")).get(0).id());
    }

    @Test
    void normaliseIgnoresWhitespaceAndTheFinalSemicolon() {
        assertThat(CedarStatements.normalise("permit (principal,\n   action, resource)"))
                .isEqualTo(CedarStatements.normalise("permit (principal, action, resource);"));
    }
}
