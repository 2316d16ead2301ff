package dev.tether.learn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tether.events.Event;
import dev.tether.events.EventKind;
import dev.tether.events.Verdict;
import dev.tether.events.store.AuditStore;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The audit store as a source, on a real SQLite file. */
class AuditStoreEventsTest {
    @TempDir Path dir;

    @Test
    void readsBySessionTimeKindAndDecision() {
        Path db = dir.resolve("audit.db");
        TestEvents a = new TestEvents("sa", "claude");
        TestEvents b = new TestEvents("sb", "codex").at(TestEvents.T0 + 60_000_000_000L);
        List<Event> written = List.of(a.read("/a1"), a.read("/a2", Verdict.DENY), a.exec("/bin/x", "x"),
                b.read("/b1"), b.read("/b2", Verdict.NONE));
        try (AuditStore store = AuditStore.open(db)) {
            assertThat(store.append(written)).isTrue();
        }
        try (AuditStoreEvents events = AuditStoreEvents.openReadOnly(db)) {
            assertThat(events.sessions()).extracting(RecordedSession::id, RecordedSession::agent, RecordedSession::events)
                    .containsExactly(org.assertj.core.groups.Tuple.tuple("sa", "claude", 3L),
                            org.assertj.core.groups.Tuple.tuple("sb", "codex", 2L));
            assertThat(read(events, EventSelection.all(), Set.of(), Set.of())).containsExactly("/a1", "/a2", "/bin/x", "/b1", "/b2");
            assertThat(read(events, EventSelection.sessions(List.of("sb")), Set.of(), Set.of())).containsExactly("/b1", "/b2");
            assertThat(read(events, EventSelection.all().since(TestEvents.T0 + 30_000_000_000L), Set.of(), Set.of()))
                    .containsExactly("/b1", "/b2");
            assertThat(read(events, EventSelection.all(), Set.of(EventKind.PROCESS_EXEC), Set.of())).containsExactly("/bin/x");
            assertThat(read(events, EventSelection.all(), Set.of(), Set.of(Verdict.ALLOW, Verdict.DENY)))
                    .containsExactly("/a1", "/a2", "/bin/x", "/b1");
            assertThat(events.describe()).contains(db.toString());
        }
    }

    @Test
    void partitionsTogetherHoldExactlyTheSelection() {
        Path db = dir.resolve("audit.db");
        List<Event> written = new ArrayList<>();
        for (int s = 0; s < 3; s++) {
            TestEvents t = new TestEvents("s" + s, "claude").at(TestEvents.T0 + s * 7_000_000_000L);
            for (int i = 0; i < 500; i++) {
                written.add(t.read("/f/" + s + "/" + i));
            }
        }
        try (AuditStore store = AuditStore.open(db)) {
            assertThat(store.append(written)).isTrue();
        }
        try (AuditStoreEvents events = AuditStoreEvents.openReadOnly(db)) {
            for (EventSelection sel : List.of(EventSelection.all(), EventSelection.sessions(List.of("s1", "s2")),
                    EventSelection.all().since(TestEvents.T0 + 3_000_000_000L).until(TestEvents.T0 + 15_000_000_000L))) {
                List<String> whole = read(events, sel, Set.of(), Set.of());
                List<EventSelection> parts = events.partitions(sel, 4);
                assertThat(parts).hasSize(4);
                List<String> joined = new ArrayList<>();
                for (EventSelection p : parts) {
                    joined.addAll(read(events, p, Set.of(), Set.of()));
                }
                assertThat(joined).containsExactlyInAnyOrderElementsOf(whole);
                assertThat(whole).isNotEmpty();
            }
        }
    }

    @Test
    void aMissingDatabaseIsAClearError() {
        assertThatThrownBy(() -> AuditStoreEvents.openReadOnly(dir.resolve("none.db")))
                .isInstanceOf(RecordedEventsException.class).hasMessageContaining("no audit database");
    }

    private static List<String> read(RecordedEvents events, EventSelection sel, Set<EventKind> kinds, Set<Verdict> decisions) {
        List<String> out = new ArrayList<>();
        events.forEach(sel, kinds, decisions, (id, e) -> out.add(e.resource()));
        return out;
    }
}
