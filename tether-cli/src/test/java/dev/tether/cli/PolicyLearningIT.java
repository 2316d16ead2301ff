package dev.tether.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tether.events.Event;
import dev.tether.events.EventFormatException;
import dev.tether.events.EventJson;
import dev.tether.events.store.AuditLocation;
import dev.tether.events.store.AuditStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Policy learning on recordings of real sandbox runs, as root against the real kernel: the same
 * workload runs three times in the built-in sandbox in permissive mode (once under a policy that
 * permits little, so most decisions are recorded as would-deny; twice under one that permits
 * everything), each session recording into a test audit store ({@code TETHER_AUDIT_DB}) and an
 * {@code --events} file. Then: the policy suggested from the first two checks, replays against
 * them with no new denial, is the same text every time and from either recording, and replayed
 * against the third run — which also reached a new host and wrote outside the project — denies
 * exactly those two things.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PolicyLearningIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    static final String EXTRA_FILE = "/tmp/tether-learning-it-extra.txt";
    static final String WORKLOAD = """
            cat README src/a.txt src/b.txt src/c.txt > /dev/null
            echo built > out/result.txt
            git --version > /dev/null
            ls src > /dev/null
            # A UDP "connect" is decided in the kernel (cgroup-BPF) without sending anything.
            while read -r host port; do
              exec 3<>"/dev/udp/$host/$port"
              exec 3>&-
            done < hosts.txt
            if [ -e .extra ]; then echo extra > %s; fi
            exit 0
            """.formatted(EXTRA_FILE);

    static Path base;
    static Path project;
    static Path db;
    static String sessionLittle;
    static String sessionAll;
    static String sessionExtra;

    @BeforeAll
    static void recordThreeRealSessions() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")),
                "recording sandbox runs needs root (fanotify, BPF, namespaces); not root here, so these tests are skipped");
        // Not under /tmp: the recording must not mix the project with the extra write's directory.
        base = TetherProcess.itProject("policy-learning");
        if (Files.exists(base)) {
            try (Stream<Path> w = Files.walk(base)) {
                w.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
        Files.deleteIfExists(Path.of(EXTRA_FILE));
        project = base.resolve("proj");
        Files.createDirectories(project.resolve("src"));
        Files.createDirectories(project.resolve("out"));
        Files.createDirectories(base.resolve("policies"));
        Files.writeString(project.resolve("README"), "read me\n");
        for (String f : List.of("a", "b", "c")) {
            Files.writeString(project.resolve("src/" + f + ".txt"), f + "\n");
        }
        Files.writeString(project.resolve("work.sh"), WORKLOAD);
        Files.writeString(project.resolve("hosts.txt"), "10.1.2.3 53\n");
        Path little = base.resolve("policies/little.cedar");
        Files.writeString(little, "permit (principal, action == Action::\"FileOpenReadOnly\", resource in Dir::\"/usr/\");\n");
        Path all = base.resolve("policies/all.cedar");
        db = base.resolve("audit.db");
        Files.writeString(all, "permit (principal, action, resource);\n");

        sessionLittle = record(little, "little.jsonl");
        sessionAll = record(all, "all.jsonl");
        Files.writeString(project.resolve("hosts.txt"), "10.1.2.3 53\n10.9.9.9 53\n");
        Files.writeString(project.resolve(".extra"), "");
        sessionExtra = record(all, "extra.jsonl");

        // Every session recorded into the store what it wrote to its events file.
        try (AuditStore store = AuditStore.openReadOnly(db)) {
            for (String[] s : List.of(new String[] {sessionLittle, "little.jsonl"}, new String[] {sessionAll, "all.jsonl"},
                    new String[] {sessionExtra, "extra.jsonl"})) {
                assertThat(store.session(s[0])).as(s[0]).hasValueSatisfying(r -> {
                    try {
                        assertThat(r.events()).isEqualTo(importable(base.resolve(s[1])).size());
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                });
            }
        }
    }

    /** One real run of the workload, recorded into the test store and an events file; returns its session id. */
    private static String record(Path policy, String eventsFile) throws Exception {
        Path events = base.resolve(eventsFile);
        var r = TetherProcess.run(project, List.of("env", AuditLocation.OVERRIDE_ENV + "=" + db), "run", "--engine",
                "builtin", "--mode", "permissive", "--quiet", "--policy", policy.toString(), "--events", events.toString(),
                "--", "bash", "work.sh");
        assertThat(r.exit()).as(r.stderr()).isZero();
        Set<String> sessions = new TreeSet<>();
        for (String line : Files.readAllLines(events)) {
            sessions.add(JSON.readTree(line).path("session").asText());
        }
        assertThat(sessions).hasSize(1);
        return sessions.iterator().next();
    }

    /** The recording's events in the documented form; the walking skeleton's own exec lines are not events. */
    private static List<Event> importable(Path file) throws IOException {
        EventJson json = new EventJson();
        List<Event> out = new ArrayList<>();
        for (String line : Files.readAllLines(file)) {
            try {
                out.add(json.read(line));
            } catch (EventFormatException e) {
                assertThat(JSON.readTree(line).has("filename")).as("not an event: " + line).isTrue();
            }
        }
        return out;
    }

    private static TetherProcess.Result tether(String... args) throws Exception {
        return TetherProcess.run(base, args);
    }

    private static List<String> sessionsArgs(String... ids) {
        List<String> a = new ArrayList<>();
        for (String id : ids) {
            a.add("--session");
            a.add(id);
        }
        return a;
    }

    private static TetherProcess.Result suggest(Path out, String... sessions) throws Exception {
        List<String> args = new ArrayList<>(List.of("policy", "suggest", "--audit", db.toString(), "--project",
                project.toString(), "--out", out.toString()));
        args.addAll(sessionsArgs(sessions));
        return tether(args.toArray(String[]::new));
    }

    private static TetherProcess.Result replay(Path candidate, String... sessions) throws Exception {
        List<String> args = new ArrayList<>(List.of("policy", "replay", candidate.toString(), "--audit", db.toString(),
                "--project", project.toString(), "--json", "--max-changes", "10000"));
        args.addAll(sessionsArgs(sessions));
        return tether(args.toArray(String[]::new));
    }

    @Test
    @Order(1)
    void theRecordingsAreRealAndMixedVerdicts() throws Exception {
        List<Event> little = importable(base.resolve("little.jsonl"));
        assertThat(little).extracting(e -> e.kind().jsonName()).contains("FileOpenReadOnly", "FileOpenReadWrite",
                "ProcessExec", "NetworkConnect");
        assertThat(little).extracting(e -> e.decision().jsonName()).contains("allow", "would-deny");
        assertThat(importable(base.resolve("extra.jsonl"))).extracting(Event::resource)
                .contains("10.9.9.9:53", EXTRA_FILE);
    }

    @Test
    @Order(2)
    void theSuggestionChecksAndReplaysAgainstItsSessionsWithNoNewDenial() throws Exception {
        Path suggested = base.resolve("suggested.cedar");
        var s = suggest(suggested, sessionLittle, sessionAll);
        assertThat(s.exit()).as(s.stderr()).isZero();
        String text = Files.readString(suggested);
        assertThat(text).contains("principal == Agent::\"bash\"").contains("Host::\"10.1.2.3:53\"")
                .contains("File::\"" + project + "/out/result.txt\"").contains("resource == File::\"/usr/bin/git\")")
                .doesNotContain("10.9.9.9").doesNotContain(EXTRA_FILE);
        var check = tether("policy", "check", suggested.toString());
        assertThat(check.exit()).as(check.stdout()).isZero();

        var r = replay(suggested, sessionLittle, sessionAll);
        assertThat(r.exit()).as(r.stdout() + r.stderr()).isZero();
        JsonNode j = JSON.readTree(r.stdout());
        assertThat(j.get("decisions").asLong()).isGreaterThan(20);
        assertThat(j.get("newlyDenied").asLong()).isZero();
        // What the first session's policy denied (shadowed by permissive mode) the suggestion allows.
        assertThat(j.get("newlyAllowed").asLong()).isPositive();
        assertThat(j.get("unchangedDenied").asLong()).isZero();
        assertThat(j.get("notReplayable").size()).isZero();
    }

    @Test
    @Order(3)
    void theSameRecordingGivesTheSameText() throws Exception {
        Path first = base.resolve("stable-1.cedar");
        Path second = base.resolve("stable-2.cedar");
        assertThat(suggest(first, sessionLittle, sessionAll).exit()).isZero();
        assertThat(suggest(second, sessionAll, sessionLittle).exit()).isZero();
        assertThat(Files.readString(second)).isEqualTo(Files.readString(first));
        // From the events files instead of the store: the same statements (only the source line differs).
        var fromFiles = tether("policy", "suggest", "--events", base.resolve("little.jsonl").toString(), "--events",
                base.resolve("all.jsonl").toString(), "--project", project.toString(), "--json");
        var fromStore = tether("policy", "suggest", "--audit", db.toString(), "--project", project.toString(), "--json",
                "--session", sessionLittle, "--session", sessionAll);
        assertThat(JSON.readTree(fromFiles.stdout()).get("statements"))
                .isEqualTo(JSON.readTree(fromStore.stdout()).get("statements"));
    }

    @Test
    @Order(4)
    void replayedAgainstARunThatDidMoreItDeniesExactlyTheNewHostAndTheWriteOutsideTheProject() throws Exception {
        Path suggested = base.resolve("suggested.cedar");
        if (!Files.exists(suggested)) {
            assertThat(suggest(suggested, sessionLittle, sessionAll).exit()).isZero();
        }
        var r = replay(suggested, sessionExtra);
        assertThat(r.exit()).as("a newly denied decision fails the gate: " + r.stderr()).isEqualTo(1);
        JsonNode j = JSON.readTree(r.stdout());
        List<String> denied = new ArrayList<>();
        for (JsonNode c : j.get("changes")) {
            if (c.get("direction").asText().equals("newly-denied")) {
                denied.add(c.get("action").asText() + " " + c.get("resource").asText());
                assertThat(c.get("recorded").asText()).isEqualTo("allow");
                assertThat(c.get("sessions").get(0).asText()).isEqualTo(sessionExtra);
                assertThat(c.get("responsible").asText()).isEqualTo("no permit matches (default deny)");
            }
        }
        assertThat(denied).containsExactlyInAnyOrder("NetworkConnect 10.9.9.9:53/udp", "FileOpenReadWrite " + EXTRA_FILE);
        assertThat(j.get("newlyDenied").asLong()).isEqualTo(2);
        assertThat(j.get("newlyAllowed").asLong()).isZero();
        assertThat(r.stderr()).contains("2 recorded decisions would be newly denied");
    }
}
