package dev.tether.cli.log;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tether.cli.Main;
import dev.tether.events.Event;
import dev.tether.events.EventJson;
import dev.tether.events.EventKind;
import dev.tether.events.EventLayer;
import dev.tether.events.ExecDetail;
import dev.tether.events.FileDetail;
import dev.tether.events.LossDetail;
import dev.tether.events.SessionDetail;
import dev.tether.events.Verdict;
import dev.tether.events.store.AuditStore;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class LogCommandTest {
    @TempDir Path dir;
    Path db;
    final long now = Event.nowNs();
    final long hourAgo = now - Duration.ofHours(1).toNanos();
    final long minuteAgo = now - Duration.ofMinutes(1).toNanos();

    record Run(int exit, String out, String err) {}

    Run run(String... args) {
        CommandLine cli = Main.newCommandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        List<String> all = new ArrayList<>(List.of("log", "--db", db.toString()));
        all.addAll(List.of(args));
        int code = cli.execute(all.toArray(String[]::new));
        return new Run(code, out.toString(), err.toString());
    }

    private Event open(String session, long t, String path, Verdict v) {
        return Event.builder(EventKind.FILE_OPEN_READ_ONLY).timeNs(t).session(session).principal("claude")
                .layer(EventLayer.FANOTIFY).resource(path).process(42, 1, 42).comm("cat")
                .decision(v, List.of(v == Verdict.DENY ? "policy3" : "policy0"), null).errno(v == Verdict.DENY ? 13 : 0)
                .detail(FileDetail.open(0, null)).build();
    }

    @BeforeEach
    void fill() {
        db = dir.resolve("audit.db");
        try (AuditStore store = AuditStore.open(db)) {
            store.append(List.of(
                    Event.builder(EventKind.SESSION_START).timeNs(hourAgo).session("s-old").principal("claude")
                            .detail(SessionDetail.start(List.of("claude", "-p", "go"), "enforce", "podman")).build(),
                    open("s-old", hourAgo + 1, "/workspace/README.md", Verdict.ALLOW),
                    open("s-old", hourAgo + 2, "/workspace/.env", Verdict.DENY),
                    open("s-new", minuteAgo, "/workspace/a\nb", Verdict.ALLOW),
                    Event.builder(EventKind.PROCESS_EXEC).timeNs(minuteAgo + 1).session("s-new").principal("codex")
                            .resource("/usr/bin/git").process(43, 42, 43).comm("git").decision(Verdict.WOULD_DENY)
                            .detail(new ExecDetail(List.of("git", "push"))).build(),
                    Event.builder(EventKind.EVENTS_LOST).timeNs(minuteAgo + 2).session("s-new")
                            .detail(new LossDetail("kernel-ringbuf", 0)).build()));
        }
    }

    @Test
    void printsOneLinePerEventOldestFirstWithSandboxTextEscaped() {
        Run r = run();
        assertThat(r.exit()).isZero();
        List<String> lines = r.out().lines().toList();
        assertThat(lines).hasSize(6);
        assertThat(lines.get(0)).contains("s-old").contains("SessionStart").contains("claude -p go");
        assertThat(lines.get(2)).contains("deny").contains("FileOpenReadOnly /workspace/.env").contains("EACCES").contains("[policy3]");
        assertThat(lines.get(3)).contains("/workspace/a\\nb");
        assertThat(lines.get(4)).contains("would-deny").contains("argv: git push");
    }

    @Test
    void filtersCombine() {
        assertThat(run("--session", "s-old").out().lines()).hasSize(3);
        assertThat(run("--decision", "deny").out().lines()).singleElement().asString().contains(".env");
        assertThat(run("--decision", "deny,would-deny").out().lines()).hasSize(2);
        assertThat(run("--action", "processexec").out().lines()).singleElement().asString().contains("git");
        assertThat(run("--action", "FileOpenReadOnly", "--session", "s-new").out().lines()).hasSize(1);
        assertThat(run("--since", "10m").out().lines()).hasSize(3);
        assertThat(run("--since", EventJson.formatTime(hourAgo + 2)).out().lines()).hasSize(4);
        assertThat(run("--grep", "README").out().lines()).singleElement().asString().contains("README");
        assertThat(run("--limit", "2").out().lines()).hasSize(2).last().asString().contains("EventsLost");
    }

    @Test
    void jsonPrintsTheSchema() throws Exception {
        Run r = run("--json", "--session", "s-new");
        EventJson json = new EventJson();
        List<Event> events = r.out().lines().map(json::read).toList();
        assertThat(events).extracting(Event::kind).containsExactly(EventKind.FILE_OPEN_READ_ONLY, EventKind.PROCESS_EXEC,
                EventKind.EVENTS_LOST);
        assertThat(events.getFirst().resource()).isEqualTo("/workspace/a\nb");
    }

    @Test
    void exportsJsonlAndOcsfFiles() throws Exception {
        Path jsonl = dir.resolve("out/events.jsonl");
        Run r = run("--export", "jsonl", "--out", jsonl.toString(), "--session", "s-old");
        assertThat(r.exit()).isZero();
        assertThat(r.err()).contains("wrote 3 events as jsonl");
        assertThat(Files.readAllLines(jsonl)).hasSize(3);

        Path ocsf = dir.resolve("events.ocsf.jsonl");
        assertThat(run("--export", "OCSF", "--out", ocsf.toString()).exit()).isZero();
        List<String> lines = Files.readAllLines(ocsf);
        assertThat(lines).hasSize(6);
        JsonNode denied = new ObjectMapper().readTree(lines.get(2));
        assertThat(denied.get("class_uid").asInt()).isEqualTo(1001);
        assertThat(denied.get("action_id").asInt()).isEqualTo(2);
        assertThat(dir).isDirectoryNotContaining("glob:**.tmp");
    }

    @Test
    void listsSessions() {
        Run r = run("--sessions");
        assertThat(r.out().lines()).hasSize(2);
        assertThat(r.out()).contains("s-old").contains("1 denied").contains("events lost: not measured")
                .contains("s-new").contains("0 events lost");
    }

    @Test
    void badFilterValuesGetOneClearLine() {
        assertError(run("--action", "FileRead"), 2, "--action: unknown action 'FileRead'; known: FileOpen, ");
        assertError(run("--decision", "maybe"), 2, "--decision: unknown decision 'maybe'; use allow, deny, would-deny or none");
        assertError(run("--since", "yesterday"), 2, "--since: 'yesterday' is not a time");
        assertError(run("--since", "10x"), 2, "--since: '10x' is not a time");
        assertError(run("--limit", "0"), 2, "--limit: give a number from 1 to");
        assertError(run("--export", "xml", "--out", "x"), 2, "--export: unknown format 'xml'; use jsonl or ocsf");
        assertError(run("--export", "jsonl"), 2, "--export jsonl needs --out FILE");
        assertError(run("--out", "x.jsonl"), 2, "--out needs --export jsonl|ocsf");
        assertError(run("--export", "jsonl", "--out", dir.toString()), 2, "is a directory");
        db = dir.resolve("missing.db");
        assertError(run(), 1, "no audit database at " + db);
    }

    private static void assertError(Run r, int code, String message) {
        assertThat(r.exit()).as(r.err()).isEqualTo(code);
        assertThat(r.err()).startsWith("tether: ").contains(message);
        assertThat(r.err().lines()).hasSize(1);
        assertThat(r.out()).isEmpty();
    }
}
