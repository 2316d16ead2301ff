package dev.tether.cli.control;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.events.Event;
import dev.tether.events.EventKind;
import dev.tether.events.EventLayer;
import dev.tether.events.ExecDetail;
import dev.tether.events.FileDetail;
import dev.tether.events.McpDetail;
import dev.tether.events.SessionDetail;
import dev.tether.events.Verdict;
import dev.tether.events.store.AuditQuery;
import dev.tether.events.store.AuditStore;
import dev.tether.events.store.StoredEvent;
import dev.tether.server.spi.ActivityEvent;
import dev.tether.server.spi.EventPage;
import dev.tether.server.spi.EventQuery;
import dev.tether.server.spi.ProcessInfo;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The control plane's events over a real SQLite audit store, written the way a session writes it. */
class AuditEventSourceTest {
    @TempDir Path dir;
    Path db;
    AuditStore writer;
    AuditReader reader;
    AuditEventSource source;
    long t0 = Event.nowNs();

    @BeforeEach
    void open() {
        db = dir.resolve("audit.db");
        writer = AuditStore.open(db);
    }

    @AfterEach
    void close() {
        if (source != null) {
            source.close();
        }
        if (reader != null) {
            reader.close();
        }
        writer.close();
    }

    private AuditEventSource source() {
        reader = new AuditReader(db);
        source = new AuditEventSource(reader, Duration.ofMillis(20));
        return source;
    }

    private Event file(String session, long dt, int pid, String comm, String path, Verdict v) {
        return file(session, dt, pid, 100, comm, path, v);
    }

    private Event file(String session, long dt, int pid, int ppid, String comm, String path, Verdict v) {
        return Event.builder(EventKind.FILE_OPEN_READ_ONLY).timeNs(t0 + dt).session(session).principal("claude")
                .layer(EventLayer.FANOTIFY).process(pid, ppid, pid).comm(comm).exe("/usr/bin/" + comm).resource(path)
                .decision(v, v == Verdict.ALLOW ? List.of("policy0") : List.of("policy1"),
                        v == Verdict.ALLOW ? "allowed: permit policy0" : "denied: forbid policy1 at p.cedar:3:1")
                .errno(v == Verdict.DENY ? 13 : 0).detail(new FileDetail(0, null, null, null, null)).build();
    }

    private Event exec(String session, long dt, int pid, int ppid, String exe, String... argv) {
        return Event.builder(EventKind.PROCESS_EXEC).timeNs(t0 + dt).session(session).principal("claude")
                .layer(EventLayer.FANOTIFY).process(pid, ppid, pid).comm(exe.substring(exe.lastIndexOf('/') + 1))
                .exe(exe).resource(exe).decision(Verdict.ALLOW, List.of("policy0"), "allowed")
                .detail(new ExecDetail(List.of(argv))).build();
    }

    private List<Long> storedIds(String session) {
        List<Long> ids = new ArrayList<>();
        writer.forEach(AuditQuery.all().withSession(session).withLimit(1000), e -> ids.add(e.id()));
        return ids;
    }

    /** The store's own newest-first order of the resources that pass {@code filter}. */
    private List<String> newestFirst(java.util.function.Predicate<String> filter) {
        List<String> out = new ArrayList<>();
        writer.forEach(AuditQuery.all().withLimit(1000).before(0), e -> {
            if (filter.test(e.event().resource())) {
                out.add(e.event().resource());
            }
        });
        assertThat(out).isNotEmpty();
        return out;
    }

    @Test
    void queriesAnswerNewestFirstWithTheStoresIdsAsSeqAndPageByThem() {
        List<Event> batch = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            batch.add(file(i % 2 == 0 ? "s-a" : "s-b", i, 200 + i, "cat", "/workspace/f" + i,
                    i % 3 == 0 ? Verdict.DENY : Verdict.ALLOW));
        }
        writer.append(batch.subList(0, 10));
        writer.append(batch.subList(10, 30));
        List<Long> ids = new ArrayList<>();
        writer.forEach(AuditQuery.all().withLimit(1000), e -> ids.add(e.id()));
        source();

        EventPage page = source.query(EventQuery.latest(12));
        assertThat(page.events()).hasSize(12);
        assertThat(page.events().getFirst().seq()).isEqualTo(ids.getLast());
        assertThat(page.events()).extracting(ActivityEvent::resource)
                .containsExactlyElementsOf(newestFirst(r -> true).subList(0, 12));
        assertThat(page.events()).extracting(ActivityEvent::seq).isSortedAccordingTo((a, b) -> Long.compare(b, a));
        // The next page goes on exactly where the first stopped, across the two chunks.
        EventPage page2 = source.query(new EventQuery(null, null, null, null, page.nextBeforeSeq(), null, 12));
        assertThat(page2.events().getFirst().seq()).isEqualTo(ids.get(ids.size() - 13));
        EventPage page3 = source.query(new EventQuery(null, null, null, null, page2.nextBeforeSeq(), null, 12));
        assertThat(page3.events()).hasSize(6);
        assertThat(page3.nextBeforeSeq()).isNull();
        assertThat(page3.events().getLast().seq()).isEqualTo(ids.getFirst());

        // Filters: session, action, decision, and text in any case. Newest first means in the
        // store's write order (within a batch the store groups a session's events into one chunk).
        assertThat(source.query(new EventQuery("s-a", "FileOpenReadOnly", Verdict.DENY, null, null, null, 100)).events())
                .extracting(ActivityEvent::resource)
                .containsExactly("/workspace/f24", "/workspace/f18", "/workspace/f12", "/workspace/f6", "/workspace/f0");
        assertThat(source.query(new EventQuery(null, null, null, "WORKSPACE/F2", null, null, 100)).events())
                .extracting(ActivityEvent::resource)
                .containsExactlyElementsOf(newestFirst(r -> r.startsWith("/workspace/f2")));
        assertThat(source.query(new EventQuery(null, null, null, "P.CEDAR:3", null, null, 100)).events()).hasSize(10);
        assertThat(source.query(new EventQuery(null, "NoSuchAction", null, null, null, null, 100)).events()).isEmpty();
        // Newer than a seq: what a client that saw up to it asks for.
        assertThat(source.query(new EventQuery(null, null, null, null, null, ids.get(26), 100)).events())
                .extracting(ActivityEvent::seq).containsExactly(ids.get(29), ids.get(28), ids.get(27));
        // One event by its seq, as "allow this" looks it up.
        long seq = ids.get(17);
        assertThat(source.query(new EventQuery(null, null, null, null, seq + 1, seq - 1, 1)).events())
                .extracting(ActivityEvent::seq).containsExactly(seq);
    }

    @Test
    void anEventKeepsItsFieldsAndItsAuditDetail() {
        writer.append(List.of(file("s-a", 1, 300, "cat", "/workspace/.env", Verdict.DENY),
                Event.builder(EventKind.MCP_CALL).timeNs(t0 + 2).session("s-a").principal("claude").layer(EventLayer.MCP)
                        .resource("filesystem/write_file").decision(Verdict.DENY, List.of("policy4"), "denied")
                        .detail(new McpDetail("filesystem", "stdio", "request", "tools/call", "write_file", "7", "{}"))
                        .build(),
                Event.builder(EventKind.SESSION_START).timeNs(t0 + 3).session("s-a").principal("claude")
                        .detail(SessionDetail.start(List.of("sh"), "enforce", "builtin")).build()));
        source();
        List<ActivityEvent> evs = source.query(EventQuery.latest(10)).events();
        ActivityEvent start = evs.get(0);
        assertThat(start.action()).isEqualTo("SessionStart");
        assertThat(start.verdict()).isEqualTo(Verdict.NONE);
        assertThat(start.detail()).containsEntry("mode", "enforce").containsEntry("layer", "daemon");
        ActivityEvent mcp = evs.get(1);
        // The control plane names an MCP call by its tool; the server travels in the detail.
        assertThat(mcp.resource()).isEqualTo("write_file");
        assertThat(mcp.detail()).containsEntry("server", "filesystem").containsEntry("layer", "mcp");
        ActivityEvent denied = evs.get(2);
        assertThat(denied.timeNs()).isEqualTo(t0 + 1);
        assertThat(denied.agent()).isEqualTo("claude");
        assertThat(denied.pid()).isEqualTo(300);
        assertThat(denied.comm()).isEqualTo("cat");
        assertThat(denied.exe()).isEqualTo("/usr/bin/cat");
        assertThat(denied.verdict()).isEqualTo(Verdict.DENY);
        assertThat(denied.policyIds()).containsExactly("policy1");
        assertThat(denied.reason()).contains("p.cedar:3:1");
        assertThat(denied.detail()).containsEntry("errno", 13).containsEntry("layer", "fanotify").containsEntry("flags", 0);
    }

    @Test
    void theLiveFeedDeliversCommittedEventsWithTheSeqQueriesReturn() throws Exception {
        writer.append(List.of(file("s-a", 0, 10, "cat", "/workspace/before", Verdict.ALLOW)));
        source();
        BlockingQueue<ActivityEvent> live = new LinkedBlockingQueue<>();
        source.subscribe("test", live::add);
        // Written after the feed started: delivered, oldest first, each exactly once.
        for (int b = 0; b < 5; b++) {
            List<Event> batch = new ArrayList<>();
            for (int i = 0; i < 1000; i++) {
                batch.add(file("s-live", b * 1000L + i, 20, "cat", "/workspace/" + b + "/" + i, Verdict.ALLOW));
            }
            writer.append(batch);
        }
        List<ActivityEvent> got = new ArrayList<>();
        while (got.size() < 5000) {
            ActivityEvent e = live.poll(30, TimeUnit.SECONDS);
            assertThat(e).as("live event %d", got.size()).isNotNull();
            got.add(e);
        }
        assertThat(live.poll(200, TimeUnit.MILLISECONDS)).as("nothing more, and not the older event").isNull();
        assertThat(got.getFirst().resource()).isEqualTo("/workspace/0/0");
        assertThat(got.getLast().resource()).isEqualTo("/workspace/4/999");
        assertThat(got).extracting(ActivityEvent::seq).containsExactlyElementsOf(storedIds("s-live"));
        // The stream and a query agree on what each seq is.
        ActivityEvent some = got.get(2345);
        assertThat(source.query(new EventQuery(null, null, null, null, some.seq() + 1, some.seq() - 1, 1)).events())
                .containsExactly(some);
    }

    @Test
    void aDatabaseThatAppearsLaterIsFollowedFromItsFirstEvent() throws Exception {
        writer.close();
        Path later = dir.resolve("later.db");
        reader = new AuditReader(later);
        source = new AuditEventSource(reader, Duration.ofMillis(20));
        assertThat(source.query(EventQuery.latest(10)).events()).isEmpty();
        BlockingQueue<ActivityEvent> live = new LinkedBlockingQueue<>();
        source.subscribe("test", live::add);
        writer = AuditStore.open(later);
        writer.append(List.of(file("s-x", 0, 10, "cat", "/workspace/first", Verdict.ALLOW)));
        ActivityEvent e = live.poll(30, TimeUnit.SECONDS);
        assertThat(e).isNotNull();
        assertThat(e.resource()).isEqualTo("/workspace/first");
    }

    @Test
    void everyEventCarriesItsProcessChainFromTheSessionsExecs() throws Exception {
        writer.append(List.of(exec("s-a", 1, 100, 1, "/usr/bin/bash", "bash", "-c", "make"),
                exec("s-a", 2, 200, 100, "/usr/bin/make", "make"),
                exec("s-a", 3, 300, 200, "/usr/bin/cc", "cc", "main.c")));
        writer.append(List.of(file("s-a", 4, 300, 200, "cc", "/workspace/main.c", Verdict.ALLOW)));
        source();
        ActivityEvent open = source.query(EventQuery.latest(1)).events().getFirst();
        assertThat(open.processChain()).extracting(ProcessInfo::pid).containsExactly(300, 200, 100);
        assertThat(open.processChain()).extracting(ProcessInfo::exe)
                .containsExactly("/usr/bin/cc", "/usr/bin/make", "/usr/bin/bash");
        assertThat(open.processChain()).extracting(ProcessInfo::comm).containsExactly("cc", "make", "bash");

        // Live: a process exec'd after the first chains were built is found too.
        BlockingQueue<ActivityEvent> live = new LinkedBlockingQueue<>();
        source.subscribe("test", live::add);
        writer.append(List.of(exec("s-a", 5, 400, 300, "/usr/bin/as", "as"),
                file("s-a", 6, 400, 300, "as", "/workspace/main.s", Verdict.ALLOW)));
        ActivityEvent first = live.poll(30, TimeUnit.SECONDS);
        ActivityEvent second = live.poll(30, TimeUnit.SECONDS);
        assertThat(first).isNotNull();
        assertThat(second).isNotNull();
        assertThat(second.resource()).isEqualTo("/workspace/main.s");
        assertThat(second.processChain()).extracting(ProcessInfo::pid).containsExactly(400, 300, 200, 100);
    }

    @Test
    void aSessionWithMoreProcessEventsThanOnePageStillGivesFullChains() {
        // 5,000 processes started by bash (more than one page of the tree's catch-up read), then a
        // child of the last of them opens a file: its chain must know its parent, whose exec is
        // beyond the first page the tree reads when it is first built.
        List<Event> burst = new ArrayList<>();
        burst.add(exec("s-burst", 1, 100, 1, "/usr/bin/bash", "bash"));
        int n = 5_000;
        for (int i = 1; i <= n; i++) {
            burst.add(exec("s-burst", 1 + i, 100 + i, 100, "/usr/bin/sh", "sh"));
        }
        burst.add(exec("s-burst", n + 2, 9_000, 100 + n, "/usr/bin/cat", "cat"));
        burst.add(file("s-burst", n + 3, 9_000, 100 + n, "cat", "/workspace/last", Verdict.ALLOW));
        writer.append(burst);
        ActivityEvent open = source().query(EventQuery.latest(1)).events().getFirst();
        assertThat(open.resource()).isEqualTo("/workspace/last");
        assertThat(open.processChain()).extracting(ProcessInfo::pid).containsExactly(9_000, 100 + n, 100);
    }

    @Test
    void deliveredThroughMarksWhereTheFeedStandsNotWhatTheStoreHolds() throws Exception {
        writer.append(List.of(file("s-d", 1, 10, "cat", "/workspace/old", Verdict.ALLOW)));
        reader = new AuditReader(db);
        source = new AuditEventSource(reader, Duration.ofHours(1)); // the feed looks once, then sleeps
        long old = source.query(EventQuery.latest(1)).events().getFirst().seq();
        Thread.sleep(200); // its first look: nothing new
        writer.append(List.of(file("s-d", 2, 10, "cat", "/workspace/new", Verdict.ALLOW)));
        // Stored but not delivered: a live stream's backlog must end before it, or the event,
        // delivered later, would be dropped as a copy of the backlog's.
        assertThat(source.deliveredThrough()).hasValue(old);
        assertThat(source.query(EventQuery.latest(5)).events()).extracting(ActivityEvent::resource)
                .contains("/workspace/new");
    }

    @Test
    void aTextSearchThatFindsLittleAnswersWithACursorToGoOnFrom() {
        int n = AuditEventSource.QUERY_SCAN_BUDGET + 10_000;
        List<Event> batch = new ArrayList<>(8192);
        for (int i = 0; i < n; i++) {
            batch.add(file("s-big", i, 10, "cat", i == 5 ? "/workspace/needle" : "/workspace/hay" + i, Verdict.ALLOW));
            if (batch.size() == 8192) {
                writer.append(batch);
                batch = new ArrayList<>(8192);
            }
        }
        writer.append(batch);
        source();
        EventPage first = source.query(new EventQuery(null, null, null, "needle", null, null, 10));
        // The budget ran out before the only match (near the oldest end): no match yet, but a cursor.
        assertThat(first.events()).isEmpty();
        assertThat(first.nextBeforeSeq()).isNotNull();
        EventPage second = source.query(new EventQuery(null, null, null, "needle", first.nextBeforeSeq(), null, 10));
        assertThat(second.events()).extracting(ActivityEvent::resource).containsExactly("/workspace/needle");
        assertThat(second.nextBeforeSeq()).isNull();
        List<StoredEvent> oldest = writer.query(AuditQuery.all().withLimit(6)).events();
        assertThat(second.events().getFirst().seq()).isEqualTo(oldest.get(5).id());
    }

    @Test
    void theSessionsOwnBatchesComeInProcessAndAnotherWritersEventsInBetweenAreNotMissed() throws Exception {
        writer.append(List.of(file("s-a", 0, 10, "cat", "/workspace/before", Verdict.ALLOW)));
        reader = new AuditReader(db);
        source = new AuditEventSource(reader, Duration.ofMillis(20), writer);
        BlockingQueue<ActivityEvent> live = new LinkedBlockingQueue<>();
        source.subscribe("test", live::add);
        int expected = 0;
        try (AuditStore other = AuditStore.open(db)) { // another process's writer on the same file
            for (int b = 0; b < 20; b++) {
                List<Event> batch = new ArrayList<>();
                for (int i = 0; i < 50; i++) {
                    batch.add(file("s-own", b * 100L + i, 20, "cat", "/workspace/own/" + b + "/" + i, Verdict.ALLOW));
                }
                writer.append(batch);
                expected += batch.size();
                if (b % 3 == 1) {
                    other.append(List.of(file("s-other", b * 100L + 99, 30, "cat", "/workspace/other/" + b, Verdict.ALLOW)));
                    expected++;
                }
            }
        }
        List<ActivityEvent> got = new ArrayList<>();
        while (got.size() < expected) {
            ActivityEvent e = live.poll(30, TimeUnit.SECONDS);
            assertThat(e).as("live event %d of %d", got.size(), expected).isNotNull();
            got.add(e);
        }
        assertThat(live.poll(200, TimeUnit.MILLISECONDS)).as("nothing twice").isNull();
        // Every event of both writers, each once, in the store's id order.
        List<Long> ids = new ArrayList<>();
        writer.forEach(AuditQuery.all().withLimit(10_000).after(0), e -> {
            if (!e.event().resource().equals("/workspace/before")) {
                ids.add(e.id());
            }
        });
        assertThat(got).extracting(ActivityEvent::seq).containsExactlyElementsOf(ids);
        assertThat(got).filteredOn(e -> e.resource().startsWith("/workspace/other/")).hasSize(7);
    }

    @Test
    void liveChainsBuiltFromTheWritersOwnBatchesMatchThoseReadFromTheStore() throws Exception {
        writer.append(List.of(exec("s-c", 1, 100, 1, "/usr/bin/bash", "bash", "-c", "make")));
        reader = new AuditReader(db);
        source = new AuditEventSource(reader, Duration.ofMillis(20), writer);
        BlockingQueue<ActivityEvent> live = new LinkedBlockingQueue<>();
        source.subscribe("test", live::add);
        // Each batch's process events extend the tree in process (after one read for a session
        // the feed meets for the first time).
        writer.append(List.of(exec("s-c", 2, 200, 100, "/usr/bin/make", "make")));
        writer.append(List.of(exec("s-c", 3, 300, 200, "/usr/bin/cc", "cc", "main.c"),
                file("s-c", 4, 300, 200, "cc", "/workspace/main.c", Verdict.ALLOW)));
        writer.append(List.of(exec("s-c", 5, 400, 300, "/usr/bin/as", "as"),
                file("s-c", 6, 400, 300, "as", "/workspace/main.s", Verdict.ALLOW)));
        List<ActivityEvent> got = new ArrayList<>();
        while (got.size() < 5) {
            ActivityEvent e = live.poll(30, TimeUnit.SECONDS);
            assertThat(e).as("live event %d", got.size()).isNotNull();
            got.add(e);
        }
        ActivityEvent cc = got.stream().filter(e -> "/workspace/main.c".equals(e.resource())).findFirst().orElseThrow();
        ActivityEvent as = got.stream().filter(e -> "/workspace/main.s".equals(e.resource())).findFirst().orElseThrow();
        assertThat(cc.processChain()).extracting(ProcessInfo::pid).containsExactly(300, 200, 100);
        assertThat(as.processChain()).extracting(ProcessInfo::pid).containsExactly(400, 300, 200, 100);
        // The same chains as a query over the store gives.
        for (ActivityEvent e : List.of(cc, as)) {
            ActivityEvent queried = source.query(new EventQuery(null, null, null, null, e.seq() + 1, e.seq() - 1, 1))
                    .events().getFirst();
            assertThat(queried.processChain()).isEqualTo(e.processChain());
        }
    }
}
