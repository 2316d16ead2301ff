package dev.tether.cli.policy;

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
import dev.tether.events.NetworkDetail;
import dev.tether.events.Verdict;
import dev.tether.events.store.AuditStore;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code tether policy suggest|replay} through the real command line, on events written in the
 * documented form to a JSON-lines file and to a real audit store. (Recordings of real sandbox runs:
 * {@code PolicyLearningIT}.)
 */
class PolicyLearningCommandTest {
    static final long T0 = 1_795_757_391_000_000_000L;

    @TempDir Path dir;
    Path project;
    StringWriter out;
    StringWriter err;

    @BeforeEach
    void project() throws Exception {
        project = dir.resolve("proj");
        Files.createDirectories(project);
    }

    int run(String... args) {
        out = new StringWriter();
        err = new StringWriter();
        CommandLine cli = Main.newCommandLine();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        return cli.execute(args);
    }

    static Event event(String session, long t, EventKind kind, String resource, Verdict v, dev.tether.events.EventDetail d) {
        return Event.builder(kind).timeNs(T0 + t * 1_000_000).session(session).principal("claude").layer(EventLayer.FANOTIFY)
                .resource(resource).decision(v, v == Verdict.ALLOW ? List.of("policy0") : List.of(), "recorded " + v.jsonName())
                .process(100, 1, 100).comm("x").detail(d).build();
    }

    List<Event> session(String id, boolean extra) {
        List<Event> e = new ArrayList<>();
        long t = 0;
        for (String f : List.of("a.rs", "b.rs", "c.rs")) {
            e.add(event(id, t++, EventKind.FILE_OPEN_READ_ONLY, project + "/src/" + f, Verdict.ALLOW, FileDetail.open(0, null)));
        }
        e.add(event(id, t++, EventKind.FILE_OPEN_READ_WRITE, "/workspace/out/result.txt", Verdict.ALLOW, FileDetail.open(577, 420)));
        e.add(event(id, t++, EventKind.PROCESS_EXEC, "/usr/bin/git", Verdict.ALLOW, new ExecDetail(List.of("git", "status"))));
        e.add(event(id, t++, EventKind.NETWORK_CONNECT, "10.0.0.53:53", Verdict.WOULD_DENY,
                new NetworkDetail(NetworkDetail.Family.INET, NetworkDetail.Protocol.UDP, "10.0.0.53", 53, null)));
        if (extra) {
            e.add(event(id, t++, EventKind.NETWORK_CONNECT, "10.9.9.9:443", Verdict.ALLOW,
                    new NetworkDetail(NetworkDetail.Family.INET, NetworkDetail.Protocol.TCP, "10.9.9.9", 443, null)));
            e.add(event(id, t++, EventKind.FILE_OPEN_READ_WRITE, "/etc/cron.d/job", Verdict.ALLOW, FileDetail.open(577, 420)));
        }
        return e;
    }

    Path jsonl(String name, List<Event> events) throws Exception {
        EventJson json = new EventJson();
        StringBuilder sb = new StringBuilder();
        events.forEach(e -> sb.append(json.write(e)).append('\n'));
        Path f = dir.resolve(name);
        Files.writeString(f, sb);
        return f;
    }

    @Test
    void suggestWritesAPolicyThatChecksAndReplaysWithNoNewDenials() throws Exception {
        Path events = jsonl("s1.jsonl", session("s1", false));
        Path policy = dir.resolve("suggested.cedar");
        assertThat(run("policy", "suggest", "--events", events.toString(), "--project", project.toString(), "--out",
                policy.toString())).as(err.toString()).isZero();
        assertThat(err.toString()).contains("wrote 4 statements learned from 6 events in 1 session to " + policy);
        String text = Files.readString(policy);
        assertThat(text).contains("resource in Dir::\"" + project + "/src/\"")
                .contains("File::\"" + project + "/out/result.txt\"").contains("Host::\"10.0.0.53:53\"");
        assertThat(run("policy", "check", policy.toString())).isZero();
        assertThat(run("policy", "replay", policy.toString(), "--events", events.toString(), "--project", project.toString()))
                .isZero();
        assertThat(out.toString()).contains("newly denied            0").contains("newly allowed           1")
                .contains("NetworkConnect 10.0.0.53:53/udp");
        // Same input, same bytes.
        Path again = dir.resolve("again.cedar");
        assertThat(run("policy", "suggest", "--events", events.toString(), "--project", project.toString(), "-o",
                again.toString())).isZero();
        assertThat(Files.readString(again)).isEqualTo(text);
    }

    @Test
    void replayExitsNonZeroOnNewDenialsAndNamesThem() throws Exception {
        Path base = jsonl("s1.jsonl", session("s1", false));
        Path policy = dir.resolve("suggested.cedar");
        assertThat(run("policy", "suggest", "--events", base.toString(), "-C", project.toString(), "-o", policy.toString())).isZero();
        Path more = jsonl("s2.jsonl", session("s2", true));
        assertThat(run("policy", "replay", policy.toString(), "--events", more.toString(), "-C", project.toString(), "--json"))
                .isEqualTo(1);
        JsonNode j = new ObjectMapper().readTree(out.toString());
        assertThat(j.get("newlyDenied").asLong()).isEqualTo(2);
        List<String> denied = new ArrayList<>();
        j.get("changes").forEach(c -> {
            if (c.get("direction").asText().equals("newly-denied")) {
                denied.add(c.get("action").asText() + " " + c.get("resource").asText());
                assertThat(c.get("responsible").asText()).isEqualTo("no permit matches (default deny)");
                assertThat(c.get("recorded").asText()).isEqualTo("allow");
            }
        });
        assertThat(denied).containsExactlyInAnyOrder("NetworkConnect 10.9.9.9:443/tcp", "FileOpenReadWrite /etc/cron.d/job");
        assertThat(err.toString()).contains("2 recorded decisions would be newly denied");
    }

    @Test
    void readsTheAuditStoreBySessionAndTime() throws Exception {
        Path db = dir.resolve("audit.db");
        try (AuditStore store = AuditStore.open(db)) {
            assertThat(store.append(session("s1", false))).isTrue();
            List<Event> later = new ArrayList<>();
            for (Event e : session("s2", true)) {
                later.add(e.toBuilder().timeNs(e.timeNs() + 3_600_000_000_000L).build());
            }
            assertThat(store.append(later)).isTrue();
        }
        assertThat(run("policy", "suggest", "--audit", db.toString(), "--session", "s1", "-C", project.toString(), "--json"))
                .isZero();
        JsonNode j = new ObjectMapper().readTree(out.toString());
        assertThat(j.get("sessions").size()).isEqualTo(1);
        assertThat(j.get("eventsRead").asLong()).isEqualTo(6);
        assertThat(j.get("cedar").asText()).doesNotContain("10.9.9.9");
        assertThat(j.get("statements").get(0).get("evidence").get("count").asLong()).isPositive();
        // --since picks the later session by time
        assertThat(run("policy", "suggest", "--audit", db.toString(), "--since", "2026-11-27T06:00:00Z", "-C",
                project.toString())).isZero();
        assertThat(out.toString()).contains("10.9.9.9").contains("sessions s2".replace("sessions s2", "session s2"));
        // The whole store, replayed with the suggestion for s1 only: s2's extras are newly denied.
        Path policy = dir.resolve("s1.cedar");
        assertThat(run("policy", "suggest", "--audit", db.toString(), "--session", "s1", "-C", project.toString(), "-o",
                policy.toString())).isZero();
        assertThat(run("policy", "replay", policy.toString(), "--audit", db.toString(), "-C", project.toString())).isEqualTo(1);
        assertThat(out.toString()).contains("from 2 sessions").contains("/etc/cron.d/job").contains("10.9.9.9:443/tcp");
    }

    @Test
    void badInputIsAClearErrorWithExitTwo() throws Exception {
        Path events = jsonl("s1.jsonl", session("s1", false));
        assertThat(run("policy", "suggest", "--events", events.toString(), "--session", "nope")).isEqualTo(2);
        assertThat(err.toString()).contains("no session nope in " + events).contains("recorded sessions: s1");
        assertThat(run("policy", "suggest", "--events", events.toString(), "--since", "yesterday")).isEqualTo(2);
        assertThat(err.toString()).contains("is not a time");
        assertThat(run("policy", "suggest", "--events", events.toString(), "--since", "2099-01-01")).isEqualTo(2);
        assertThat(err.toString()).contains("no recorded events match");
        assertThat(run("policy", "suggest", "--audit", dir.resolve("none.db").toString())).isEqualTo(2);
        assertThat(err.toString()).contains("no audit database at");
        Path bad = dir.resolve("bad.cedar");
        Files.writeString(bad, "permit (principal, action == Action::\"FileOpn\", resource);\n");
        assertThat(run("policy", "replay", bad.toString(), "--events", events.toString())).isEqualTo(2);
        assertThat(err.toString()).contains(bad + ":1:30: error TP010").contains("does not load");
        Path broken = dir.resolve("broken.jsonl");
        Files.writeString(broken, "{\"not\":\"an event\"}\n");
        assertThat(run("policy", "replay", bad.toString().replace("bad", "bad"), "--events", broken.toString())).isEqualTo(2);
        Path ok = dir.resolve("ok.cedar");
        Files.writeString(ok, "permit (principal, action, resource);\n");
        assertThat(run("policy", "replay", ok.toString(), "--events", broken.toString())).isEqualTo(2);
        assertThat(err.toString()).contains(broken + ":1: not an event");
        assertThat(run("policy", "suggest", "--events", events.toString(), "--min-siblings", "1")).isEqualTo(2);
        assertThat(err.toString()).contains("min siblings must be at least 2");
    }

    @Test
    void againstAnotherPolicyComparesItsDecisions() throws Exception {
        Path events = jsonl("s1.jsonl", session("s1", false));
        Path current = dir.resolve("current.cedar");
        Files.writeString(current, "permit (principal, action, resource);\n");
        Path candidate = dir.resolve("candidate.cedar");
        Files.writeString(candidate, "permit (principal, action == Action::\"FileOpenReadOnly\", resource in Dir::\"/workspace/\");\n");
        assertThat(run("policy", "replay", candidate.toString(), "--against", current.toString(), "--events",
                events.toString(), "-C", project.toString())).isEqualTo(1);
        // reads of src/ stay allowed through the /workspace name; the write, the exec and the DNS query are newly denied
        assertThat(out.toString()).contains("against the decisions of " + current).contains("unchanged               3  (3 allowed, 0 denied)")
                .contains("newly denied            3").contains("was allowed by " + current);
    }
}
