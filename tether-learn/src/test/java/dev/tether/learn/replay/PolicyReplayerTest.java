package dev.tether.learn.replay;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.events.Event;
import dev.tether.events.EventFlag;
import dev.tether.events.EventKind;
import dev.tether.events.Verdict;
import dev.tether.learn.EventSelection;
import dev.tether.learn.InMemoryEvents;
import dev.tether.learn.ProjectAliases;
import dev.tether.learn.RecordedEvents;
import dev.tether.learn.TestEvents;
import dev.tether.policy.LoadResult;
import dev.tether.policy.PolicyLoader;
import dev.tether.policy.PolicySnapshot;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PolicyReplayerTest {
    static final ProjectAliases ALIASES = new ProjectAliases("/home/dev/proj");

    static PolicySnapshot policy(String text) {
        LoadResult r = PolicyLoader.parse(text, "candidate.cedar");
        assertThat(r).as(() -> r.findings().toString()).isInstanceOf(LoadResult.Loaded.class);
        return ((LoadResult.Loaded) r).snapshot();
    }

    static ReplayReport replay(List<Event> events, String candidate, Baseline baseline, int max) {
        return new PolicyReplayer(ALIASES, 1).replay(new InMemoryEvents(events), EventSelection.all(), policy(candidate),
                baseline, max);
    }

    @Test
    void comparesWithTheRecordedVerdicts() {
        TestEvents t = new TestEvents("s1", "claude");
        List<Event> events = List.of(
                t.read("/etc/hosts"),                             // allowed, stays allowed
                t.read("/etc/passwd"),                            // allowed, newly denied
                t.read("/etc/shadow", Verdict.DENY),              // denied, stays denied
                t.read("/opt/x", Verdict.WOULD_DENY),             // denied (shadow), newly allowed
                t.read("/opt/y", Verdict.NONE));                  // no decision: not replayed
        ReplayReport r = replay(events, """
                @id("hosts") permit (principal, action == Action::"FileOpenReadOnly", resource == File::"/etc/hosts");
                @id("opt") permit (principal == Agent::"claude", action == Action::"FileOpenReadOnly", resource in Dir::"/opt/");
                """, Baseline.recorded(), 100);
        assertThat(r.decisions()).isEqualTo(4);
        assertThat(r.unchangedAllowed()).isEqualTo(1);
        assertThat(r.unchangedDenied()).isEqualTo(1);
        assertThat(r.newlyDenied()).isEqualTo(1);
        assertThat(r.newlyAllowed()).isEqualTo(1);
        assertThat(r.baseline()).isEqualTo("recorded");
        assertThat(r.changes()).extracting(ReplayChange::direction, ReplayChange::resource, ReplayChange::responsible)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple(ReplayChange.Direction.NEWLY_DENIED, "/etc/passwd", "no permit matches (default deny)"),
                        org.assertj.core.groups.Tuple.tuple(ReplayChange.Direction.NEWLY_ALLOWED, "/opt/x", "permit opt at candidate.cedar:2:1"));
        assertThat(r.changes().getFirst().recorded()).isEqualTo(Verdict.ALLOW);
        assertThat(r.changes().getFirst().baselineReason()).contains("allowed");
    }

    @Test
    void theRuleResponsibleForANewDenialIsTheForbid() {
        TestEvents t = new TestEvents("s1", "claude");
        ReplayReport r = replay(List.of(t.exec("/usr/bin/git", "git", "push", "origin")), """
                permit (principal, action == Action::"ProcessExec", resource in Dir::"/usr/bin/");
                @id("no-push") forbid (principal, action == Action::"ProcessExec", resource == File::"/usr/bin/git")
                when { context.argv.contains("push") };
                """, Baseline.recorded(), 100);
        assertThat(r.changes()).singleElement().satisfies(c -> {
            assertThat(c.resource()).isEqualTo("/usr/bin/git push origin");
            assertThat(c.responsible()).isEqualTo("forbid no-push at candidate.cedar:2:1");
            assertThat(c.reason()).contains("no-push");
        });
    }

    @Test
    void comparesWithAnotherPolicyOnTheSameRequests() {
        TestEvents t = new TestEvents("s1", "claude");
        List<Event> events = List.of(t.read("/etc/hosts", Verdict.DENY), t.read("/etc/passwd", Verdict.DENY));
        PolicySnapshot current = policy("permit (principal, action == Action::\"FileOpenReadOnly\", resource in Dir::\"/etc/\");");
        ReplayReport r = replay(events, "permit (principal, action == Action::\"FileOpenReadOnly\", resource == File::\"/etc/hosts\");",
                new Baseline.Policy(current), 100);
        // Recorded both denied; against the current policy (both allowed) only passwd changes.
        assertThat(r.newlyDenied()).isEqualTo(1);
        assertThat(r.newlyAllowed()).isZero();
        assertThat(r.changes()).singleElement().satisfies(c -> {
            assertThat(c.resource()).isEqualTo("/etc/passwd");
            assertThat(c.baselineReason()).contains("allowed");
        });
    }

    @Test
    void filesAreDecidedUnderBothProjectNamesAsTheGateDoes() {
        TestEvents t = new TestEvents("s1", "claude");
        List<Event> events = List.of(t.read("/home/dev/proj/src/a.rs"), t.read("/workspace/src/b.rs"),
                t.read("/home/dev/proj/secret/key"), t.exec("/workspace/bin/tool", "tool"));
        ReplayReport r = replay(events, """
                permit (principal, action == Action::"FileOpenReadOnly", resource in Dir::"/workspace/");
                permit (principal, action == Action::"ProcessExec", resource in Dir::"/home/dev/proj/bin/");
                @id("no-secret") forbid (principal, action == Action::"FileOpenReadOnly", resource in Dir::"/workspace/secret/");
                """, Baseline.recorded(), 100);
        assertThat(r.unchangedAllowed()).isEqualTo(3);
        assertThat(r.changes()).singleElement().satisfies(c -> {
            assertThat(c.resource()).isEqualTo("/home/dev/proj/secret/key");
            assertThat(c.responsible()).isEqualTo("forbid no-secret at candidate.cedar:3:1");
        });
    }

    @Test
    void repeatsFoldIntoOneChangeAndTheListIsCapped() {
        List<Event> events = new ArrayList<>();
        for (int s = 0; s < 3; s++) {
            TestEvents t = new TestEvents("s" + s, "claude");
            for (int i = 0; i < 30; i++) {
                events.add(t.read("/etc/passwd"));
            }
            events.add(t.read("/etc/group"));
            events.add(t.read("/etc/shadow"));
        }
        ReplayReport r = replay(events, "permit (principal, action == Action::\"FileOpenReadWrite\", resource);",
                Baseline.recorded(), 2);
        assertThat(r.newlyDenied()).isEqualTo(96);
        assertThat(r.changeGroups()).isEqualTo(3);
        assertThat(r.changes()).hasSize(2);
        assertThat(r.complete()).isFalse();
        ReplayChange passwd = r.changes().stream().filter(c -> c.resource().equals("/etc/passwd")).findFirst().orElseThrow();
        assertThat(passwd.count()).isEqualTo(90);
        assertThat(passwd.sessions()).containsExactly("s0", "s1", "s2");
        assertThat(passwd.eventIds()).hasSize(20).startsWith(1L, 2L, 3L);
        assertThat(r.sessions()).containsExactly("s0", "s1", "s2");
    }

    @Test
    void decisionsThatCannotBeAskedAgainAreCountedNotGuessed() {
        TestEvents t = new TestEvents("s1", "claude");
        List<Event> events = List.of(t.read("/a/cut").toBuilder().flag(EventFlag.RESOURCE_TRUNCATED).build(),
                Event.builder(EventKind.PROCESS_EXEC).session("s1").principal("claude")
                        .decision(Verdict.DENY, List.of(), "killed: an exec the permission gate never saw").build());
        ReplayReport r = replay(events, "permit (principal, action, resource);", Baseline.recorded(), 10);
        assertThat(r.decisions()).isZero();
        assertThat(r.notReplayable()).containsOnlyKeys("FileOpenReadOnly: the path was cut when recorded",
                "ProcessExec: no resource was recorded");
    }

    /** A source that reads each session on its own, as the audit store does for parallel replay. */
    record BySession(InMemoryEvents events) implements RecordedEvents {
        @Override
        public List<dev.tether.learn.RecordedSession> sessions() {
            return events.sessions();
        }

        @Override
        public void forEach(EventSelection selection, Set<EventKind> kinds, Set<Verdict> decisions, Sink sink) {
            events.forEach(selection, kinds, decisions, sink);
        }

        @Override
        public List<EventSelection> partitions(EventSelection selection, int parts) {
            return sessions().stream().map(s -> EventSelection.sessions(List.of(s.id()))).toList();
        }

        @Override
        public String describe() {
            return "by session";
        }
    }

    @Test
    void readingInParallelGivesTheSameReport() {
        List<Event> events = new ArrayList<>();
        for (int s = 0; s < 6; s++) {
            TestEvents t = new TestEvents("s" + s, s % 2 == 0 ? "claude" : "codex");
            for (int i = 0; i < 50; i++) {
                events.add(t.read("/etc/f" + (i % 7)));
                events.add(t.exec("/usr/bin/git", "git", i % 3 == 0 ? "push" : "status"));
            }
        }
        String candidate = """
                permit (principal == Agent::"claude", action == Action::"FileOpenReadOnly", resource in Dir::"/etc/");
                permit (principal, action == Action::"ProcessExec", resource == File::"/usr/bin/git") when { context.args == "status" };
                """;
        ReplayReport serial = new PolicyReplayer(ALIASES, 1).replay(new InMemoryEvents(events), EventSelection.all(),
                policy(candidate), Baseline.recorded(), 1000);
        ReplayReport parallel = new PolicyReplayer(ALIASES, 4).replay(new BySession(new InMemoryEvents(events)),
                EventSelection.all(), policy(candidate), Baseline.recorded(), 1000);
        assertThat(parallel.changes()).isEqualTo(serial.changes());
        assertThat(List.of(parallel.decisions(), parallel.newlyDenied(), parallel.unchangedAllowed()))
                .isEqualTo(List.of(serial.decisions(), serial.newlyDenied(), serial.unchangedAllowed()));
        assertThat(serial.newlyDenied()).isEqualTo(3 * 50 + 6 * 17);
    }
}
