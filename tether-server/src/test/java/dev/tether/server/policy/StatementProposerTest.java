package dev.tether.server.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tether.events.Verdict;
import dev.tether.server.spi.ActivityEvent;
import dev.tether.server.spi.DecisionQuery;
import dev.tether.server.spi.LintFinding;
import dev.tether.server.spi.PolicyChange;
import dev.tether.server.standalone.CedarPolicyControl;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Proposed statements must be valid Cedar (checked by cedar-java) and match exactly the event. */
class StatementProposerTest {
    static ActivityEvent event(String agent, String action, String resource, Map<String, Object> detail) {
        return new ActivityEvent(7, 0, "s1", agent, 1, 0, "x", "/x", action, resource, Verdict.DENY, List.of(), null,
                List.of(), detail);
    }

    @Test
    void awkwardPathsAreQuotedSoTheStatementParsesAndMatchesOnlyThatFile() {
        String path = "/workspace/we\"ird\\dir/a b\tc.txt";
        String stmt = StatementProposer.propose(event("claude", "FileOpenReadOnly", path, Map.of()),
                StatementProposer.Effect.PERMIT);
        CedarPolicyControl policy = CedarPolicyControl.fromText("forbid (principal, action, resource == File::\"/never\");\n",
                "t.cedar", null);
        assertThat(policy.validate(stmt)).noneMatch(LintFinding::isError);
        assertThat(policy.replace(stmt)).isInstanceOf(PolicyChange.Applied.class);
        assertThat(policy.decide(new DecisionQuery("claude", null, "FileOpenReadOnly", path, null, null)).allowed()).isTrue();
        assertThat(policy.decide(new DecisionQuery("codex", null, "FileOpenReadOnly", path, null, null)).allowed()).isFalse();
        assertThat(policy.decide(new DecisionQuery("claude", null, "FileOpenReadWrite", path, null, null)).allowed()).isFalse();
        assertThat(policy.decide(new DecisionQuery("claude", null, "FileOpenReadOnly", "/workspace/other", null, null))
                .allowed()).isFalse();
    }

    @Test
    void eachActionFamilyGetsItsResourceType() {
        assertThat(StatementProposer.propose(event(null, "NetworkConnect", "api.example.com:443", Map.of()),
                StatementProposer.Effect.FORBID)).startsWith("forbid (\n    principal,").contains("Host::\"api.example.com:443\"");
        assertThat(StatementProposer.propose(event("claude", "McpCall", "delete_repo", Map.of("server", "github")),
                StatementProposer.Effect.FORBID)).contains("MCP::Tool::\"delete_repo\"").contains("context.server == \"github\"");
        assertThat(StatementProposer.propose(event("claude", "ProcessExec", "/usr/bin/git", Map.of()),
                StatementProposer.Effect.PERMIT)).contains("File::\"/usr/bin/git\"");
        assertThatThrownBy(() -> StatementProposer.propose(event("claude", "SessionStart", "x", Map.of()),
                StatementProposer.Effect.PERMIT)).hasMessageContaining("SessionStart");
    }
}
