package dev.tether.server;

import dev.tether.events.Event;
import dev.tether.events.EventKind;
import dev.tether.events.EventLayer;
import dev.tether.events.ExecDetail;
import dev.tether.events.FileDetail;
import dev.tether.events.HttpDetail;
import dev.tether.events.Verdict;
import dev.tether.events.store.AuditStore;
import dev.tether.learn.AuditStoreEvents;
import dev.tether.learn.PolicyLearning;
import dev.tether.learn.ProjectAliases;
import dev.tether.learn.suggest.SuggestOptions;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A control plane with recorded activity behind suggestions and replay: two sessions of an agent
 * written to a real audit store (SQLite) and read back through {@link AuditStoreEvents}.
 */
final class LearningFixture {
    static final String PROJECT = "/home/dev/proj";
    static final long T0 = 1_795_757_391_000_000_000L;

    /** Valid for both cedar-java (the standalone control) and tether's compiler (replay). */
    static final String POLICY = """
            // tether learning test policy
            @id("project")
            permit (principal, action == Action::"FileOpenReadOnly", resource in Dir::"/home/dev/proj/");

            @id("git")
            permit (principal, action == Action::"ProcessExec", resource == File::"/usr/bin/git");

            @id("api")
            permit (principal, action == Action::"NetworkConnect", resource in Host::"api.example.com:443");
            """;

    private LearningFixture() {}

    static Event event(String session, long t, EventKind kind, String resource, Verdict v, List<String> policies,
            dev.tether.events.EventDetail detail) {
        return Event.builder(kind).timeNs(T0 + t * 1_000_000L).session(session).principal("claude")
                .layer(kind == EventKind.HTTP_REQUEST ? EventLayer.PROXY : EventLayer.FANOTIFY).resource(resource)
                .decision(v, policies, v == Verdict.ALLOW ? "allowed: permit " + policies + " matched " + resource
                        : "denied: no permit matched " + resource)
                .process(4242, 4000, 4242).comm("claude").detail(detail).build();
    }

    static List<Event> session(String id) {
        List<Event> e = new ArrayList<>();
        long t = id.hashCode() & 0xff;
        for (String f : List.of("a.rs", "b.rs", "c.rs")) {
            e.add(event(id, t++, EventKind.FILE_OPEN_READ_ONLY, PROJECT + "/src/" + f, Verdict.ALLOW, List.of("project"),
                    FileDetail.open(0, null)));
        }
        e.add(event(id, t++, EventKind.PROCESS_EXEC, "/usr/bin/git", Verdict.ALLOW, List.of("git"),
                new ExecDetail(List.of("git", "status"))));
        e.add(event(id, t++, EventKind.HTTP_REQUEST, "api.example.com:443", Verdict.ALLOW, List.of("api"),
                new HttpDetail("POST", "https://api.example.com/v1/messages", 200, null)));
        e.add(event(id, t++, EventKind.FILE_OPEN_READ_WRITE, PROJECT + "/out/report.txt", Verdict.WOULD_DENY, List.of(),
                FileDetail.open(577, 420)));
        return e;
    }

    /** Writes the two sessions to {@code dir/audit.db} and returns learning over it. */
    static PolicyLearning record(Path dir) {
        Path db = dir.resolve("audit.db");
        try (AuditStore store = AuditStore.open(db)) {
            store.append(session("s-one"));
            store.append(session("s-two"));
        }
        return new PolicyLearning(AuditStoreEvents.openReadOnly(db),
                SuggestOptions.defaults(new ProjectAliases(PROJECT), List.of("/home/dev")));
    }

    static ControlPlaneFixture start(Path dir) throws java.io.IOException {
        return new ControlPlaneFixture(dir, ControlPlaneConfig.defaults().withListen("127.0.0.1", 0), POLICY, record(dir));
    }
}
