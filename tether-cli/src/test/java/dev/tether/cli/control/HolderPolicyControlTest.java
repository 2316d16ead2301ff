package dev.tether.cli.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tether.policy.PolicyHolder;
import dev.tether.policy.PolicySnapshot;
import dev.tether.policy.Principal;
import dev.tether.server.spi.DecisionQuery;
import dev.tether.server.spi.DecisionView;
import dev.tether.server.spi.LintFinding;
import dev.tether.server.spi.PolicyChange;
import dev.tether.server.spi.PolicyView;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The control plane's policy over the policy module's real holder, compiler and decision engine. */
class HolderPolicyControlTest {
    static final String POLICY = """
            permit (principal, action == Action::"FileOpenReadOnly", resource in Dir::"/workspace/");
            forbid (principal, action == Action::"FileOpenReadOnly", resource == File::"/workspace/.env");
            permit (principal == Agent::"claude", action == Action::"NetworkConnect", resource in Host::"api.anthropic.com:443");
            permit (principal, action == Action::"ProcessExec", resource in Dir::"/usr/bin/")
            unless { context.args like "*push*" };
            permit (principal, action == Action::"McpCall", resource == MCP::Tool::"read_file");
            permit (principal, action == Action::"HttpRewrite", resource == Host::"api.example.com")
            when { context.header == "Authorization" && context.value == "secret:EXAMPLE_TOKEN" };
            """;

    @TempDir Path dir;
    Path file;
    PolicyHolder holder;
    HolderPolicyControl control;

    @BeforeEach
    void open() throws Exception {
        file = dir.resolve("policy.cedar");
        Files.writeString(file, POLICY);
        holder = PolicyHolder.open(file, null);
        control = new HolderPolicyControl(holder, holder::current, new Principal("claude", "s-1"));
    }

    @AfterEach
    void close() {
        control.close();
        holder.close();
    }

    private DecisionView decide(String agent, String action, String resource, List<String> argv, String server) {
        return control.decide(new DecisionQuery(agent, null, action, resource, argv, server));
    }

    @Test
    void currentIsTheHoldersTextGenerationAndFile() {
        PolicyView v = control.current();
        assertThat(v.text()).isEqualTo(POLICY);
        assertThat(v.generation()).isEqualTo(1);
        assertThat(v.source()).isEqualTo(file.toString());
        assertThat(control.policyFile()).contains(file);
    }

    @Test
    void aValidTextIsHotReloadedWrittenAndAnnounced() throws Exception {
        List<PolicyView> announced = new ArrayList<>();
        control.onChange(announced::add);
        String next = POLICY.replace("forbid (principal, action == Action::\"FileOpenReadOnly\", resource == File::\"/workspace/.env\");\n", "");
        PolicyChange c = control.replace(next);
        assertThat(c).isInstanceOf(PolicyChange.Applied.class);
        assertThat(((PolicyChange.Applied) c).policy().generation()).isEqualTo(2);
        assertThat(control.current().text()).isEqualTo(next);
        assertThat(Files.readString(file)).isEqualTo(next);
        assertThat(announced).extracting(PolicyView::generation).containsExactly(2L);
        assertThat(decide(null, "FileOpenReadOnly", "/workspace/.env", null, null).allowed()).isTrue();
    }

    @Test
    void aBrokenTextIsRejectedWithLocatedFindingsAndChangesNothing() throws Exception {
        List<PolicyView> announced = new ArrayList<>();
        control.onChange(announced::add);
        String broken = "permit (principal, action == Action::\"FileOpn\", resource);\n";
        List<LintFinding> findings = control.validate(broken);
        assertThat(findings).anySatisfy(f -> {
            assertThat(f.isError()).isTrue();
            assertThat(f.line()).isEqualTo(1);
            assertThat(f.column()).isPositive();
            assertThat(f.file()).isEqualTo(file.toString());
            assertThat(f.message()).contains("FileOpn");
        });
        PolicyChange c = control.replace(broken);
        assertThat(c).isInstanceOf(PolicyChange.Rejected.class);
        assertThat(((PolicyChange.Rejected) c).errors()).isNotEmpty().allMatch(LintFinding::isError);
        assertThat(control.current().generation()).isEqualTo(1);
        assertThat(Files.readString(file)).isEqualTo(POLICY);
        assertThat(announced).isEmpty();
        assertThat(control.validate(POLICY)).noneMatch(LintFinding::isError);
    }

    @Test
    void whatTheEnforcingLayersKeepIsWhatCountsAsInForce() throws Exception {
        // A session whose enforcement refuses a policy the holder loaded keeps the old snapshot.
        AtomicReference<PolicySnapshot> enforced = new AtomicReference<>(holder.current());
        try (HolderPolicyControl c = new HolderPolicyControl(holder, enforced::get, new Principal("claude", "s-1"))) {
            List<PolicyView> announced = new ArrayList<>();
            c.onChange(announced::add);
            PolicyChange change = c.replace(POLICY + "\n// edited\n");
            assertThat(change).isInstanceOf(PolicyChange.Rejected.class);
            assertThat(((PolicyChange.Rejected) change).errors().getFirst().message()).contains("generation 1 stays in force");
            assertThat(c.current().generation()).isEqualTo(1);
            assertThat(announced).isEmpty();
        }
    }

    @Test
    void decidesEveryKindOfQuestionTheUiCanAsk() {
        DecisionView env = decide(null, "FileOpenReadOnly", "/workspace/.env", null, null);
        assertThat(env.allowed()).isFalse();
        assertThat(env.determining()).singleElement().asString().contains(file.toString() + ":2:1");
        assertThat(env.reason()).startsWith("denied");
        assertThat(env.generation()).isEqualTo(1);
        assertThat(decide(null, "FileOpenReadOnly", "/workspace/src/a.c", null, null).allowed()).isTrue();
        assertThat(decide(null, "FileOpenReadWrite", "/workspace/src/a.c", null, null).allowed()).isFalse();
        // The agent defaults to the session's; another agent is asked for by name.
        assertThat(decide(null, "NetworkConnect", "api.anthropic.com:443", null, null).allowed()).isTrue();
        assertThat(decide("codex", "NetworkConnect", "api.anthropic.com:443", null, null).allowed()).isFalse();
        assertThat(decide(null, "NetworkConnect", "api.anthropic.com", null, null).allowed()).as("port 443 by default").isTrue();
        assertThat(decide(null, "NetworkConnect", "[::1]:8080", null, null).allowed()).isFalse();
        assertThat(decide(null, "ProcessExec", "/usr/bin/git", List.of("git", "status"), null).allowed()).isTrue();
        assertThat(decide(null, "ProcessExec", "/usr/bin/git", List.of("git", "push"), null).allowed()).isFalse();
        assertThat(decide(null, "McpCall", "filesystem/read_file", null, null).allowed()).isTrue();
        assertThat(decide(null, "McpCall", "write_file", null, "filesystem").allowed()).isFalse();
        DecisionView rewrite = decide(null, "HttpRewrite", "api.example.com", null, null);
        assertThat(rewrite.allowed()).isTrue();
        assertThat(rewrite.reason()).contains("Authorization");
        assertThat(decide(null, "HttpRewrite", "other.example.com", null, null).allowed()).isFalse();
    }

    @Test
    void badQuestionsAreRefusedWithWhatIsAccepted() {
        assertThatThrownBy(() -> decide(null, "FileOpenRead", "/x", null, null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("FileOpenReadOnly");
        assertThatThrownBy(() -> decide(null, "FileOpenReadOnly", "workspace/x", null, null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("absolute path");
        assertThatThrownBy(() -> decide(null, "NetworkConnect", "*.example.com", null, null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("wildcard");
        assertThatThrownBy(() -> decide(null, "NetworkConnect", "", null, null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("resource is required");
    }

    @Test
    void persistWritesTheFileAtomically() throws Exception {
        control.persist(POLICY + "// kept\n");
        assertThat(Files.readString(file)).endsWith("// kept\n");
        try (var listing = Files.list(dir)) {
            assertThat(listing.map(p -> p.getFileName().toString())).containsExactly("policy.cedar");
        }
    }

    @Test
    void aMonitorOnlySessionSaysItHasNoPolicy() {
        MonitorOnlyPolicy none = new MonitorOnlyPolicy();
        assertThat(none.current().text()).isEmpty();
        assertThat(none.replace(POLICY)).isInstanceOf(PolicyChange.Rejected.class);
        assertThat(((PolicyChange.Rejected) none.replace(POLICY)).errors().getFirst().message()).contains("--monitor-only");
        assertThatThrownBy(() -> none.decide(new DecisionQuery(null, null, "FileOpen", "/x", null, null)))
                .hasMessageContaining("--monitor-only");
        assertThat(none.validate("permit (principal, action == Action::\"Nope\", resource);"))
                .anyMatch(LintFinding::isError);
    }
}
