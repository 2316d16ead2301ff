package dev.tether.policy.diff;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.policy.Action;
import dev.tether.policy.Decision;
import dev.tether.policy.FileRequest;
import dev.tether.policy.LoadResult;
import dev.tether.policy.PolicyLoader;
import dev.tether.policy.PolicySnapshot;
import dev.tether.policy.Principal;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link PolicySnapshot#childrenDecidedAlike} lets the kernel skip every open inside a directory
 * after judging one, so a "yes" must be true: every child, whatever its name, gets the same
 * decision from the same statements. Checked on random policy sets (the differential test's
 * generator, whose decisions are held to Cedar's) with children named by every path component
 * the policies use, and on hand-written cases that pin where it says no.
 */
class ChildrenDecidedAlikeTest {
    private static final Principal WHO = new Principal("claude", "s1");
    private static final Action[] FILE_ACTIONS = {Action.FILE_OPEN_READ_ONLY, Action.FILE_OPEN_READ_WRITE};

    private static PolicySnapshot load(String text) {
        LoadResult r = PolicyLoader.parse(text, "children.cedar");
        assertThat(r).as("%s", r).isInstanceOf(LoadResult.Loaded.class);
        return ((LoadResult.Loaded) r).snapshot();
    }

    private static List<String> directories() {
        List<String> dirs = new ArrayList<>(List.of("/"));
        for (String a : RandomPolicies.COMPONENTS) {
            dirs.add("/" + a);
            for (String b : RandomPolicies.COMPONENTS) {
                dirs.add("/" + a + "/" + b);
            }
        }
        return dirs;
    }

    private static List<String> childNames() {
        List<String> names = new ArrayList<>(List.of(RandomPolicies.COMPONENTS));
        names.add("never-named-by-a-policy");
        return names;
    }

    @Test
    void everyChildOfADirectorySaidAlikeGetsTheSameDecision() {
        long base = Long.getLong("tether.diff.seed", System.nanoTime());
        List<String> failures = new ArrayList<>();
        long alike = 0;
        long notAlike = 0;
        List<String> dirs = directories();
        for (RandomPolicies.LoadedSet set : RandomPolicies.loadedSets(base, 300)) {
            if (failures.size() >= 3) {
                break;
            }
            PolicySnapshot snap = set.snapshot();
            Principal who = set.gen().principal();
            for (Action action : FILE_ACTIONS) {
                for (String dir : dirs) {
                    if (!snap.childrenDecidedAlike(who, action, dir)) {
                        notAlike++;
                        continue;
                    }
                    alike++;
                    Decision first = null;
                    for (String name : childNames()) {
                        String child = (dir.equals("/") ? "" : dir) + "/" + name;
                        Decision d = snap.decide(new FileRequest(who, action, child));
                        if (first == null) {
                            first = d;
                        } else if (d.allowed() != first.allowed() || !d.determining().equals(first.determining())) {
                            failures.add("seed " + set.seed() + ": " + who + " " + action + " inside " + dir + " said alike, but "
                                    + child + " is " + d.reason() + " and the first child " + first.reason() + "\n" + set.text());
                            break;
                        }
                    }
                }
            }
        }
        assertThat(failures).as("base seed %d", base).isEmpty();
        // Both answers must be exercised, or the check above proves nothing.
        assertThat(alike).as("directories said alike").isGreaterThan(1000);
        assertThat(notAlike).as("directories said not alike").isGreaterThan(100);
    }

    @Test
    void aDirectoryWhoseChildrenAStatementTellsApartIsNotAlike() {
        PolicySnapshot s = load("""
                permit (principal, action in [Action::"FileOpenReadOnly", Action::"FileOpenReadWrite"], resource)
                when { resource in [Dir::"/workspace/", Dir::"/tmp/"] };
                @id("no-secrets")
                forbid (principal, action in [Action::"FileOpenReadOnly", Action::"FileOpenReadWrite"], resource)
                when { resource in Dir::"/workspace/.secrets/" };
                @id("no-env")
                forbid (principal, action == Action::"FileOpenReadWrite", resource == File::"/workspace/src/.env");
                """);
        for (Action a : FILE_ACTIONS) {
            // A forbid names a directory inside the project root, so its children differ.
            assertThat(s.childrenDecidedAlike(WHO, a, "/workspace")).as("%s /workspace", a).isFalse();
            // Below the forbidden directory, and in unrelated or deeper places, all alike.
            assertThat(s.childrenDecidedAlike(WHO, a, "/workspace/.secrets")).as("%s .secrets", a).isTrue();
            assertThat(s.childrenDecidedAlike(WHO, a, "/workspace/lib")).as("%s lib", a).isTrue();
            assertThat(s.childrenDecidedAlike(WHO, a, "/workspace/src/.env")).as("%s under a file", a).isTrue();
            assertThat(s.childrenDecidedAlike(WHO, a, "/tmp")).as("%s /tmp", a).isTrue();
            assertThat(s.childrenDecidedAlike(WHO, a, "/etc")).as("%s /etc", a).isTrue();
            // The root: every statement names something inside it.
            assertThat(s.childrenDecidedAlike(WHO, a, "/")).as("%s /", a).isFalse();
        }
        // The file forbid concerns writes only.
        assertThat(s.childrenDecidedAlike(WHO, Action.FILE_OPEN_READ_ONLY, "/workspace/src")).isTrue();
        assertThat(s.childrenDecidedAlike(WHO, Action.FILE_OPEN_READ_WRITE, "/workspace/src")).isFalse();
        // Not a file action, or not an absolute path: cannot tell.
        assertThat(s.childrenDecidedAlike(WHO, Action.PROCESS_EXEC, "/workspace/lib")).isFalse();
        assertThat(s.childrenDecidedAlike(WHO, Action.FILE_OPEN_READ_ONLY, "workspace/lib")).isFalse();
    }

    @Test
    void aConditionOnlyOneChildMeetsInsideAnOrOrANegationIsNotAlike() {
        PolicySnapshot s = load("""
                permit (principal, action == Action::"FileOpenReadOnly", resource)
                when { resource in Dir::"/data/" }
                unless { resource in Dir::"/data/raw/" || principal == Agent::"codex" };
                """);
        assertThat(s.childrenDecidedAlike(WHO, Action.FILE_OPEN_READ_ONLY, "/data")).isFalse();
        assertThat(s.childrenDecidedAlike(WHO, Action.FILE_OPEN_READ_ONLY, "/data/raw")).isTrue();
        assertThat(s.childrenDecidedAlike(WHO, Action.FILE_OPEN_READ_ONLY, "/data/cooked")).isTrue();
    }
}
