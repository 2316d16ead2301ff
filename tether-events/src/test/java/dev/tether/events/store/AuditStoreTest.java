package dev.tether.events.store;

import static dev.tether.events.Events.end;
import static dev.tether.events.Events.exec;
import static dev.tether.events.Events.fork;
import static dev.tether.events.Events.lost;
import static dev.tether.events.Events.open;
import static dev.tether.events.Events.start;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tether.events.ActionCount;
import dev.tether.events.Event;
import dev.tether.events.EventKind;
import dev.tether.events.Verdict;
import dev.tether.events.summary.EventsLost;
import dev.tether.events.summary.SessionSummary;
import dev.tether.events.tree.ProcessStep;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AuditStoreTest {
    @TempDir Path dir;

    private static final long T0 = Event.nowNs() - Duration.ofHours(1).toNanos();

    @Test
    void writesAndReadsBackExactly() {
        try (AuditStore store = AuditStore.open(dir.resolve("a/b/audit.db"))) {
            List<Event> batch = List.of(start("s1", T0, "claude"), open("s1", T0 + 1, "/w/a\nb", Verdict.ALLOW),
                    open("s1", T0 + 2, "/w/.env", Verdict.DENY));
            assertThat(store.append(batch)).isTrue();
            AuditPage page = store.query(AuditQuery.all());
            assertThat(page.events()).extracting(StoredEvent::event).containsExactlyElementsOf(batch);
            assertThat(page.more()).isFalse();
            assertThat(store.written()).isEqualTo(3);
        }
    }

    @Test
    void theDatabaseDirectoryIsPrivate() throws Exception {
        Path db = dir.resolve("data/tether/audit.db");
        AuditStore.open(db).close();
        assertThat(Files.getPosixFilePermissions(db.getParent()).toString()).isEqualTo("[OWNER_READ, OWNER_WRITE, OWNER_EXECUTE]");
    }

    @Test
    void filtersCombine() {
        try (AuditStore store = AuditStore.open(dir.resolve("audit.db"))) {
            List<Event> all = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                all.add(open(i % 2 == 0 ? "s1" : "s2", T0 + i * 1000L, "/w/file" + i, i % 10 == 0 ? Verdict.DENY : Verdict.ALLOW));
            }
            all.add(exec("s1", T0 + 500_000, 7, 1, "/usr/bin/git", "git", "push"));
            store.append(all);

            assertThat(store.count(AuditQuery.all())).isEqualTo(101);
            assertThat(store.count(AuditQuery.all().withSession("s1"))).isEqualTo(51);
            assertThat(store.count(AuditQuery.all().withDecisions(Set.of(Verdict.DENY)))).isEqualTo(10);
            assertThat(store.count(AuditQuery.all().withSession("s2").withDecisions(Set.of(Verdict.DENY)))).isZero();
            assertThat(store.count(AuditQuery.all().withActions(Set.of(EventKind.PROCESS_EXEC)))).isEqualTo(1);
            assertThat(store.count(AuditQuery.all().since(T0 + 90_000))).isEqualTo(11);
            assertThat(store.count(AuditQuery.all().since(T0 + 10_000).until(T0 + 20_000))).isEqualTo(10);
            assertThat(store.query(AuditQuery.all().withGrep("/w/file42")).events()).singleElement()
                    .extracting(s -> s.event().resource()).isEqualTo("/w/file42");
            assertThat(store.count(AuditQuery.all().withGrep("git"))).isEqualTo(1);
            assertThat(store.count(AuditQuery.all().withGrep("100%_"))).isZero();
            store.append(List.of(open("s3", T0, "/w/say \"hi\"\n.txt", Verdict.ALLOW)));
            assertThat(store.query(AuditQuery.all().withGrep("say \"hi\"\n")).events()).singleElement()
                    .extracting(s -> s.event().session()).isEqualTo("s3");
        }
    }

    @Test
    void pagesForwardAndBackwardWithoutGapsOrRepeats() {
        try (AuditStore store = AuditStore.open(dir.resolve("audit.db"))) {
            List<Event> all = new ArrayList<>();
            for (int i = 0; i < 95; i++) {
                all.add(open("s1", T0 + i, "/w/" + i, Verdict.ALLOW));
            }
            store.append(all);
            List<Event> forward = new ArrayList<>();
            store.forEach(AuditQuery.all().withLimit(10), s -> forward.add(s.event()));
            assertThat(forward).containsExactlyElementsOf(all);

            AuditPage newest = store.query(AuditQuery.all().before(0).withLimit(10));
            assertThat(newest.events().getFirst().event()).isEqualTo(all.getLast());
            assertThat(newest.more()).isTrue();
            AuditPage next = store.query(AuditQuery.all().withLimit(10).before(newest.nextCursor().getAsLong()));
            assertThat(next.events().getFirst().event()).isEqualTo(all.get(84));
        }
    }

    @Test
    void pagesAcrossManyChunksAndSessionsInBothDirections() {
        try (AuditStore store = AuditStore.open(dir.resolve("audit.db"))) {
            List<Event> s1 = new ArrayList<>();
            for (int b = 0; b < 7; b++) {
                List<Event> batch = new ArrayList<>();
                for (int i = 0; i < 13; i++) {
                    Event e = open(i % 3 == 0 ? "s2" : "s1", T0 + b * 100L + i, "/w/" + b + "/" + i, Verdict.ALLOW);
                    batch.add(e);
                    if (e.session().equals("s1")) {
                        s1.add(e);
                    }
                }
                store.append(batch);
            }
            List<Event> forward = new ArrayList<>();
            AuditQuery q = AuditQuery.all().withSession("s1").withLimit(4);
            AuditPage page = store.query(q);
            while (true) {
                page.events().forEach(e -> forward.add(e.event()));
                if (page.nextCursor().isEmpty()) {
                    break;
                }
                page = store.query(q.after(page.nextCursor().getAsLong()));
            }
            assertThat(forward).containsExactlyElementsOf(s1);

            List<Event> backward = new ArrayList<>();
            AuditQuery back = AuditQuery.all().withSession("s1").withLimit(5).before(0);
            page = store.query(back);
            while (true) {
                page.events().forEach(e -> backward.add(e.event()));
                if (page.nextCursor().isEmpty()) {
                    break;
                }
                page = store.query(back.before(page.nextCursor().getAsLong()));
            }
            java.util.Collections.reverse(backward);
            assertThat(backward).containsExactlyElementsOf(s1);
            assertThat(store.count(AuditQuery.all())).isEqualTo(91);
        }
    }

    @Test
    void aDetailFieldNamedLikeAFilterDoesNotFoolTheQuery() {
        try (AuditStore store = AuditStore.open(dir.resolve("audit.db"))) {
            Event gap = Event.builder(EventKind.ENFORCEMENT_GAP).timeNs(T0).session("s1")
                    .detail(new dev.tether.events.GapDetail("bpf-lsm", "FileOpenReadOnly", "no BPF LSM")).build();
            Event trick = open("s1", T0 + 1, "/w/\"action\":\"ProcessExec\",\"decision\":\"deny\"", Verdict.ALLOW);
            store.append(List.of(gap, trick));
            assertThat(store.count(AuditQuery.all().withActions(Set.of(EventKind.FILE_OPEN_READ_ONLY)))).isEqualTo(1);
            assertThat(store.count(AuditQuery.all().withActions(Set.of(EventKind.PROCESS_EXEC)))).isZero();
            assertThat(store.count(AuditQuery.all().withDecisions(Set.of(Verdict.DENY)))).isZero();
        }
    }

    @Test
    void sessionsTableTracksStartEndCountsAndLoss() {
        try (AuditStore store = AuditStore.open(dir.resolve("audit.db"))) {
            store.append(List.of(start("s1", T0, "claude", "-p", "fix tests"), open("s1", T0 + 1, "/w/a", Verdict.ALLOW)));
            store.append(List.of(open("s1", T0 + 2, "/w/.env", Verdict.DENY), open("s1", T0 + 3, "/w/b", Verdict.ALLOW),
                    lost("s1", T0 + 4, 7), end("s1", T0 + 5_000_000_000L, 3)));
            SessionRecord r = store.session("s1").orElseThrow();
            assertThat(r.principal()).isEqualTo("claude");
            assertThat(r.command()).containsExactly("claude", "-p", "fix tests");
            assertThat(r.mode()).isEqualTo("enforce");
            assertThat(r.startNs()).isEqualTo(T0);
            assertThat(r.endNs()).isEqualTo(T0 + 5_000_000_000L);
            assertThat(r.exitCode()).isEqualTo(3);
            assertThat(r.events()).isEqualTo(6);
            assertThat(r.eventsLost()).isEqualTo(7);
            assertThat(r.lossMeasured()).isTrue();
            assertThat(r.counts()).contains(new ActionCount(EventKind.FILE_OPEN_READ_ONLY, Verdict.ALLOW, 2),
                    new ActionCount(EventKind.FILE_OPEN_READ_ONLY, Verdict.DENY, 1));
            assertThat(store.sessions(10)).extracting(SessionRecord::id).containsExactly("s1");
            assertThat(store.losses("s1")).singleElement().satisfies(l -> {
                assertThat(l.source()).isEqualTo("kernel-ringbuf");
                assertThat(l.count()).isEqualTo(7);
            });
        }
    }

    @Test
    void aSessionWhoseStartWasLostStillAppears() {
        try (AuditStore store = AuditStore.open(dir.resolve("audit.db"))) {
            store.append(List.of(open("s9", T0, "/w/a", Verdict.ALLOW)));
            SessionRecord r = store.session("s9").orElseThrow();
            assertThat(r.startNs()).isNull();
            assertThat(r.firstNs()).isEqualTo(T0);
            assertThat(r.lossMeasured()).isFalse();
        }
    }

    @Test
    void summaryListsDenialsAndSaysWhetherLossWasMeasured() {
        try (AuditStore store = AuditStore.open(dir.resolve("audit.db"))) {
            List<Event> batch = new ArrayList<>();
            batch.add(start("s1", T0, "claude"));
            for (int i = 0; i < 30; i++) {
                batch.add(open("s1", T0 + 10 + i, "/w/secret" + i, Verdict.DENY));
            }
            batch.add(open("s1", T0 + 50, "/w/ok", Verdict.WOULD_DENY));
            store.append(batch);
            SessionSummary s = store.summary("s1", 20).orElseThrow();
            assertThat(s.denials()).hasSize(20);
            assertThat(s.moreDenials()).isEqualTo(11);
            assertThat(s.lost()).isEqualTo(EventsLost.unmeasured(0));

            store.append(List.of(lost("s1", T0 + 60, 0)));
            assertThat(store.summary("s1", 20).orElseThrow().lost()).isEqualTo(EventsLost.measured(0));
            assertThat(store.summary("nope", 20)).isEmpty();
        }
    }

    @Test
    void ancestryOfAStoredEvent() {
        try (AuditStore store = AuditStore.open(dir.resolve("audit.db"))) {
            store.append(List.of(exec("s1", T0, 100, 1, "/usr/bin/claude", "claude"), fork("s1", T0 + 1, 100, 200),
                    exec("s1", T0 + 2, 200, 100, "/bin/sh", "sh", "-c", "cat .env"), fork("s1", T0 + 3, 200, 300),
                    exec("s1", T0 + 4, 300, 200, "/usr/bin/cat", "cat", ".env"), open("s1", T0 + 5, "/w/.env", Verdict.DENY),
                    exec("s2", T0 + 6, 300, 1, "/usr/bin/other", "other")));
            List<ProcessStep> chain = store.ancestry("s1", 300, T0 + 5);
            assertThat(chain).extracting(ProcessStep::exe).containsExactly("/usr/bin/cat", "/bin/sh", "/usr/bin/claude");
        }
    }

    @Test
    void retentionDeletesOldEventsAndSessions() {
        Path db = dir.resolve("audit.db");
        long old = Event.nowNs() - Duration.ofDays(40).toNanos();
        try (AuditStore store = AuditStore.open(db)) {
            store.append(List.of(start("old", old, "x"), open("old", old + 1, "/w/a", Verdict.ALLOW),
                    open("new", T0, "/w/b", Verdict.ALLOW)));
            store.enforceRetention();
            assertThat(store.query(AuditQuery.all()).events()).extracting(s -> s.event().session()).containsExactly("new");
            assertThat(store.session("old")).isEmpty();
            assertThat(store.session("new")).isPresent();
        }
    }

    @Test
    void retentionKeepsTheFileUnderItsSizeLimitByDroppingTheOldest() throws Exception {
        Path db = dir.resolve("audit.db");
        long limit = 2L << 20;
        try (AuditStore store = AuditStore.open(db, new RetentionPolicy(Duration.ofDays(30), limit))) {
            for (int b = 0; b < 80; b++) {
                List<Event> batch = new ArrayList<>();
                for (int i = 0; i < 1000; i++) {
                    // Random names: compression must not make the limit unreachable.
                    batch.add(open("s1", T0 + b * 1000L + i, "/workspace/" + java.util.UUID.randomUUID() + "/"
                            + java.util.UUID.randomUUID(), Verdict.ALLOW));
                }
                store.append(batch);
            }
            assertThat(store.usedBytes()).isGreaterThan(limit);
            store.enforceRetention();
            assertThat(store.usedBytes()).isLessThanOrEqualTo(limit);
            assertThat(Files.size(db)).isLessThanOrEqualTo(limit + (64 << 10));
            List<StoredEvent> left = store.query(AuditQuery.all().withLimit(1)).events();
            assertThat(left.getFirst().event().timeNs()).isGreaterThan(T0);
            AuditPage newest = store.query(AuditQuery.all().before(0).withLimit(1));
            assertThat(newest.events().getFirst().event().timeNs()).isEqualTo(T0 + 79 * 1000L + 999);
        }
    }

    @Test
    void readOnlyOpenOfAMissingFileSaysWhatToDo() {
        assertThatThrownBy(() -> AuditStore.openReadOnly(dir.resolve("none.db")))
                .isInstanceOf(AuditStoreException.class).hasMessageContaining("no audit database at")
                .hasMessageContaining(AuditLocation.OVERRIDE_ENV);
    }

    @Test
    void aFileThatIsNotAnAuditDatabaseIsRefused() throws Exception {
        Path f = dir.resolve("x.db");
        Files.writeString(f, "hello, not sqlite at all............................................................");
        assertThatThrownBy(() -> AuditStore.openReadOnly(f)).isInstanceOf(AuditStoreException.class);
    }

    @Test
    void aReaderSeesWhatTheWriterCommitted() {
        Path db = dir.resolve("audit.db");
        try (AuditStore w = AuditStore.open(db)) {
            w.append(List.of(open("s1", T0, "/w/a", Verdict.ALLOW)));
            try (AuditStore r = AuditStore.openReadOnly(db)) {
                assertThat(r.count(AuditQuery.all())).isEqualTo(1);
                w.append(List.of(open("s1", T0 + 1, "/w/b", Verdict.ALLOW)));
                assertThat(r.count(AuditQuery.all())).isEqualTo(2);
                assertThatThrownBy(() -> r.append(List.of())).isInstanceOf(IllegalStateException.class);
            }
        }
    }

    @Test
    void closedCleanlyIsNotReportedAsACrash() {
        Path db = dir.resolve("audit.db");
        AuditStore.open(db).close();
        try (AuditStore again = AuditStore.open(db)) {
            assertThat(again.previousRunUnclean()).isFalse();
            assertThat(again.losses(null)).isEmpty();
        }
    }

    @Test
    void committedBatchesReachListenersWithTheIdsQueriesReturnAndACursorCanSkipAWholeChunk() throws Exception {
        try (AuditStore store = AuditStore.open(dir.resolve("audit.db"))) {
            List<StoredEvent> heard = new ArrayList<>();
            store.onCommitted(heard::addAll);
            store.append(List.of(open("s1", T0 + 1, "/w/a", Verdict.ALLOW), open("s1", T0 + 2, "/w/b", Verdict.ALLOW)));
            store.append(List.of(open("s1", T0 + 3, "/w/c", Verdict.ALLOW)));
            List<StoredEvent> read = store.query(AuditQuery.all().withLimit(100).after(0)).events();
            assertThat(heard).extracting(StoredEvent::id).containsExactlyElementsOf(read.stream().map(StoredEvent::id).toList());
            assertThat(heard).extracting(e -> e.event().resource()).containsExactly("/w/a", "/w/b", "/w/c");
            long endOfFirst = AuditStore.endOfChunk(read.get(1).id());
            assertThat(AuditStore.chunkOf(endOfFirst)).isEqualTo(AuditStore.chunkOf(read.get(0).id()));
            assertThat(store.query(AuditQuery.all().withLimit(100).after(endOfFirst)).events())
                    .extracting(e -> e.event().resource()).containsExactly("/w/c");
        }
    }
}
