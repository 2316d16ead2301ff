package dev.tether.policy.diff;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.policy.ExecRequest;
import dev.tether.policy.LoadResult;
import dev.tether.policy.PolicyLoader;
import dev.tether.policy.PolicySnapshot;
import dev.tether.policy.Principal;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
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

    /** A property of one exec under one random policy set: true when it applied, false when the exec was out of its scope. */
    private interface ExecProperty {
        boolean check(RandomPolicies.LoadedSet set, PolicySnapshot snap, ExecRequest x, List<String> failures);
    }

    /**
     * Checks {@code property} on the execs among 100 random requests of each of 400 random policy
     * sets (the differential test's generator, with argv conditions): it must never fail, and
     * execs both in and out of its scope must occur (else it was not exercised both ways).
     */
    private static void onRandomExecs(ExecProperty property) {
        long base = Long.getLong("tether.diff.seed", System.nanoTime());
        List<String> failures = new ArrayList<>();
        long applied = 0;
        long outOfScope = 0;
        for (RandomPolicies.LoadedSet set : RandomPolicies.loadedSets(base, 400)) {
            if (failures.size() >= 3) {
                break;
            }
            for (int k = 0; k < 100; k++) {
                if (set.gen().request() instanceof ExecRequest x) {
                    if (property.check(set, set.snapshot(), x, failures)) {
                        applied++;
                    } else {
                        outOfScope++;
                    }
                }
            }
        }
        assertThat(failures).isEmpty();
        assertThat(applied).isPositive();
        assertThat(outOfScope).isPositive();
    }

    @Test
    void aYesMeansTheSameDecisionForEveryArgvOnRandomPolicies() {
        onRandomExecs((set, snap, x, failures) -> {
            if (!snap.execIgnoresArguments(x)) {
                return false;
            }
            boolean allowed = snap.decide(x).allowed();
            for (int a = 0; a < 20; a++) {
                ExecRequest other = new ExecRequest(x.principal(), x.path(), set.gen().argv());
                if (snap.decide(other).allowed() != allowed) {
                    failures.add("seed " + set.seed() + ": " + x + " said to ignore argv, but " + other.argv()
                            + " is decided differently\n" + set.text());
                    break;
                }
            }
            return true;
        });
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

    /** The exec with argv[1..] cut down to the literals {@code tokens} names, as the kernel's table sees it. */
    private static ExecRequest keeping(ExecRequest x, List<String> tokens) {
        List<String> argv = new ArrayList<>(List.of(x.argv().isEmpty() ? x.path() : x.argv().getFirst()));
        x.argv().stream().skip(1).filter(tokens::contains).forEach(argv::add);
        return new ExecRequest(x.principal(), x.path(), argv);
    }

    @Test
    void argvTokensDecideEveryArgvAsTheLiteralsItHoldsOnRandomPolicies() {
        onRandomExecs((set, snap, x, failures) -> {
            Optional<List<String>> tokens = snap.execArgvTokens(x, 8);
            if (tokens.isEmpty()) {
                return false;
            }
            if (tokens.get().isEmpty() != snap.execIgnoresArguments(x)) {
                failures.add("seed " + set.seed() + ": " + x + " has no argv literals but depends on argv\n" + set.text());
                return true;
            }
            for (int a = 0; a < 20; a++) {
                ExecRequest other = new ExecRequest(x.principal(), x.path(), set.gen().argv());
                var full = snap.decide(other);
                var cut = snap.decide(keeping(other, tokens.get()));
                if (full.allowed() != cut.allowed() || !full.determining().equals(cut.determining())) {
                    failures.add("seed " + set.seed() + ": " + other.argv() + " decided " + full + " but as the literals "
                            + tokens.get() + " it holds " + cut + "\n" + set.text());
                    break;
                }
            }
            return true;
        });
    }

    @Test
    void membershipTestsOfLiteralsGiveTheirTokensEvenBehindAShortCircuit() {
        PolicySnapshot s = load("""
                permit (principal, action == Action::"ProcessExec", resource) when { resource in Dir::"/usr/bin/" };
                forbid (principal, action == Action::"ProcessExec", resource == File::"/usr/bin/git")
                when { context.argv.containsAny(["push", "--force"]) };
                forbid (principal, action == Action::"ProcessExec", resource == File::"/usr/bin/git")
                when { context.argv.contains("remote") && context.argv.containsAll(["set-url", "origin"]) };
                """);
        assertThat(s.execArgvTokens(new ExecRequest(WHO, "/usr/bin/git", List.of("git")), 8).orElseThrow())
                .containsExactlyInAnyOrder("push", "--force", "remote", "set-url", "origin");
        assertThat(s.execArgvTokens(new ExecRequest(WHO, "/usr/bin/ls", List.of("ls")), 8)).contains(List.of());
        assertThat(s.execArgvTokens(new ExecRequest(WHO, "/usr/bin/git", List.of("git")), 4)).isEmpty();
    }

    @Test
    void anyOtherLookAtTheArgumentsGivesNoTokens() {
        for (String cond : List.of("context.args like \"push*\"", "context.argv.isEmpty()",
                "context.argv == [\"push\"]", "[context.argv].contains([\"push\"])")) {
            PolicySnapshot s = load("""
                    permit (principal, action == Action::"ProcessExec", resource) when { resource in Dir::"/usr/bin/" };
                    forbid (principal, action == Action::"ProcessExec", resource == File::"/usr/bin/git")
                    when { context.argv.contains("x") || %s };
                    """.formatted(cond));
            assertThat(s.execArgvTokens(new ExecRequest(WHO, "/usr/bin/git", List.of("git")), 8)).as(cond).isEmpty();
        }
    }
}
