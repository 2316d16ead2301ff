package dev.tether.policy.diff;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.policy.ExecRequest;
import dev.tether.policy.LoadResult;
import dev.tether.policy.PolicyLoader;
import dev.tether.policy.PolicySnapshot;
import dev.tether.policy.Principal;
import dev.tether.policy.Request;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link PolicySnapshot#execIgnoresArguments} lets the kernel layer approve a program once by
 * identity for every argv, so a "yes" must be true: the decision is the same for any argv. Checked
 * on random policy sets (the differential test's generator, with argv conditions) against many
 * argument vectors, and on hand-written cases that pin when the answer is "no".
 */
class ExecArgumentsTest {
    private static final Principal WHO = new Principal("claude", "s1");

    private static PolicySnapshot load(String text) {
        LoadResult r = PolicyLoader.parse(text, "exec.cedar");
        assertThat(r).as("%s", r).isInstanceOf(LoadResult.Loaded.class);
        return ((LoadResult.Loaded) r).snapshot();
    }

    @Test
    void aYesMeansTheSameDecisionForEveryArgvOnRandomPolicies() {
        long base = Long.getLong("tether.diff.seed", System.nanoTime());
        List<String> failures = new ArrayList<>();
        long yes = 0;
        long no = 0;
        for (RandomPolicies.LoadedSet set : RandomPolicies.loadedSets(base, 400)) {
            if (failures.size() >= 3) {
                break;
            }
            RandomPolicies gen = set.gen();
            PolicySnapshot snap = set.snapshot();
            for (int k = 0; k < 100; k++) {
                Request req = gen.request();
                if (!(req instanceof ExecRequest x)) {
                    continue;
                }
                if (!snap.execIgnoresArguments(x)) {
                    no++;
                    continue;
                }
                yes++;
                boolean allowed = snap.decide(x).allowed();
                for (int a = 0; a < 20; a++) {
                    ExecRequest other = new ExecRequest(x.principal(), x.path(), gen.argv());
                    if (snap.decide(other).allowed() != allowed) {
                        failures.add("seed " + set.seed() + ": " + x + " said to ignore argv, but " + other.argv()
                                + " is decided differently\n" + set.text());
                        break;
                    }
                }
            }
        }
        assertThat(failures).isEmpty();
        // Both answers occur, or the property above was never exercised in both directions.
        assertThat(yes).isPositive();
        assertThat(no).isPositive();
    }

    @Test
    void argumentRulesMakeOnlyTheProgramsTheyCanReachDependOnArgv() {
        PolicySnapshot s = load("""
                permit (principal, action == Action::"ProcessExec", resource) when { resource in Dir::"/usr/bin/" };
                forbid (principal, action == Action::"ProcessExec", resource == File::"/usr/bin/git")
                when { context.argv.contains("push") };
                """);
        assertThat(s.execIgnoresArguments(new ExecRequest(WHO, "/usr/bin/ls", List.of("ls")))).isTrue();
        assertThat(s.execIgnoresArguments(new ExecRequest(WHO, "/usr/bin/git", List.of("git")))).isFalse();
    }

    @Test
    void anArgumentRuleForEveryProgramMakesEveryExecDependOnArgv() {
        PolicySnapshot s = load("""
                permit (principal, action == Action::"ProcessExec", resource) when { resource in Dir::"/usr/bin/" };
                forbid (principal, action == Action::"ProcessExec", resource) when { context.args like "*--force*" };
                """);
        assertThat(s.execIgnoresArguments(new ExecRequest(WHO, "/usr/bin/ls", List.of("ls")))).isFalse();
    }

    @Test
    void aConditionThatFailsBeforeReachingTheArgumentsDoesNotDependOnThem() {
        // Evaluation stops at the resource test for /usr/bin/ls; for git it reads the arguments.
        PolicySnapshot s = load("""
                permit (principal, action == Action::"ProcessExec", resource) when { resource in Dir::"/usr/bin/" };
                forbid (principal, action == Action::"ProcessExec", resource)
                when { resource == File::"/usr/bin/git" && context.args like "push*" };
                """);
        assertThat(s.execIgnoresArguments(new ExecRequest(WHO, "/usr/bin/ls", List.of("ls")))).isTrue();
        assertThat(s.execIgnoresArguments(new ExecRequest(WHO, "/usr/bin/git", List.of("git")))).isFalse();
    }
}
