package dev.tether.policy;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PolicyFormatTest {
    @Test
    void formatsKeepingCommentsAndMeaning() {
        String messy = """
                // keep me
                @id("a")   permit(principal,action==Action::"FileOpenReadOnly",resource in Dir::"/w/")  when{context has x || true};
                forbid (principal, action == Action::"ProcessExec", resource)
                      when { context.argv.contains("push") };   // and me
                """;
        PolicyFormat.Result r = PolicyFormat.format(messy, "m.cedar");
        assertThat(r.formatted()).isTrue();
        assertThat(r.text()).contains("// keep me").contains("// and me").contains("@id(\"a\")")
                .contains("action == Action::\"FileOpenReadOnly\"");
        assertThat(PolicyFormat.format(r.text(), "m.cedar").text()).as("idempotent").isEqualTo(r.text());
    }

    @Test
    void refusesAPolicyThatDoesNotLoad() {
        PolicyFormat.Result r = PolicyFormat.format("permit(principal, action, resource) when { ;", "bad.cedar");
        assertThat(r.formatted()).isFalse();
        assertThat(r.findings()).extracting(Finding::code).contains("TP003");
    }
}
