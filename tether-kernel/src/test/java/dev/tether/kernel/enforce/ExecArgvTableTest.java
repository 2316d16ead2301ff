package dev.tether.kernel.enforce;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.events.Verdict;
import dev.tether.policy.LoadResult;
import dev.tether.policy.Mode;
import dev.tether.policy.PolicyLoader;
import dev.tether.policy.PolicySnapshot;
import dev.tether.policy.Principal;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link FileAccessJudge#execArgvTable}: what the exec guard is given to decide a program's execs
 * in the kernel. Each entry must be the judgment the gate would give an exec holding exactly those
 * literals, under every name of the file; anything the kernel cannot decide the same way gives none.
 */
class ExecArgvTableTest {
    private static final Principal WHO = new Principal("claude", "s1");
    private static final FileKey GIT = new FileKey(1, 2);

    private static SessionPolicy policy(String text, Mode mode) {
        LoadResult r = PolicyLoader.parse(text, "p.cedar");
        assertThat(r).as("%s", r).isInstanceOf(LoadResult.Loaded.class);
        PolicySnapshot s = ((LoadResult.Loaded) r).snapshot();
        return new SessionPolicy(s, WHO, mode);
    }

    private static final String GIT_RULES = """
            permit (principal, action == Action::"ProcessExec", resource) when { resource in Dir::"/usr/bin/" };
            permit (principal, action == Action::"ProcessExec", resource) when { resource in Dir::"/workspace/" };
            @id("no-push")
            forbid (principal, action == Action::"ProcessExec", resource == File::"/usr/bin/git")
            when { context.argv.containsAny(["push", "--force"]) };
            """;

    @Test
    void everyCombinationIsTheGatesJudgment() {
        FileAccessJudge judge = new FileAccessJudge(PathAliases.none(), new ProtectedFiles());
        SessionPolicy p = policy(GIT_RULES, Mode.ENFORCE);
        var table = judge.execArgvTable(p, "/usr/bin/git", GIT).orElseThrow();
        assertThat(table.tokens()).containsExactlyInAnyOrder("push", "--force");
        assertThat(table.judgments()).hasSize(4);
        for (int held = 0; held < 4; held++) {
            List<String> argv = new java.util.ArrayList<>(List.of("git", "status"));
            for (int j = 0; j < 2; j++) {
                if ((held & 1 << j) != 0) {
                    argv.add(table.tokens().get(j));
                }
            }
            var gate = judge.exec(p, "/usr/bin/git", argv, GIT);
            assertThat(table.judgments().get(held).verdict()).as(argv.toString()).isEqualTo(gate.verdict());
            assertThat(table.judgments().get(held).policyIds()).isEqualTo(gate.policyIds());
        }
        assertThat(table.judgments().get(0).verdict()).isEqualTo(Verdict.ALLOW);
        assertThat(table.judgments().get(3).policyIds()).containsExactly("no-push");
    }

    @Test
    void literalsOfEveryNameOfTheFileCount() {
        // The project is also /workspace: a rule on either name reaches the file.
        FileAccessJudge judge = new FileAccessJudge(PathAliases.project("/home/me/p"), new ProtectedFiles());
        SessionPolicy p = policy(GIT_RULES + """
                forbid (principal, action == Action::"ProcessExec", resource == File::"/workspace/run")
                when { context.argv.contains("deploy") };
                forbid (principal, action == Action::"ProcessExec", resource == File::"/home/me/p/run")
                when { context.argv.contains("publish") };
                """, Mode.ENFORCE);
        var table = judge.execArgvTable(p, "/home/me/p/run", GIT).orElseThrow();
        assertThat(table.tokens()).containsExactlyInAnyOrder("deploy", "publish");
        assertThat(table.judgments().stream().filter(FileAccessJudge.Judgment::blocks)).hasSize(3);
    }

    @Test
    void noTableWhereTheKernelCouldNotDecideAsTheGate() {
        FileAccessJudge judge = new FileAccessJudge(PathAliases.none(), new ProtectedFiles());
        // Shadow mode: every would-deny must be recorded as it happens.
        assertThat(judge.execArgvTable(policy(GIT_RULES, Mode.SHADOW), "/usr/bin/git", GIT)).isEmpty();
        // A program the arguments do not matter for is approved for any argv instead.
        assertThat(judge.execArgvTable(policy(GIT_RULES, Mode.ENFORCE), "/usr/bin/ls", new FileKey(1, 3))).isEmpty();
        // A literal with a backslash: argv's undecodable bytes read as \xNN escapes here, not in the kernel.
        assertThat(judge.execArgvTable(policy(GIT_RULES.replace("\"--force\"", "\"a\\\\xff\""), Mode.ENFORCE),
                "/usr/bin/git", GIT)).isEmpty();
        // Longer than the kernel compares.
        assertThat(judge.execArgvTable(policy(GIT_RULES.replace("--force", "-".repeat(64)), Mode.ENFORCE),
                "/usr/bin/git", GIT)).isEmpty();
        assertThat(judge.execArgvTable(policy(GIT_RULES.replace("--force", "-".repeat(63)), Mode.ENFORCE),
                "/usr/bin/git", GIT)).isPresent();
        // A pattern over the joined arguments.
        assertThat(judge.execArgvTable(policy(GIT_RULES.replace("context.argv.containsAny([\"push\", \"--force\"])",
                "context.args like \"push*\""), Mode.ENFORCE), "/usr/bin/git", GIT)).isEmpty();
    }
}
