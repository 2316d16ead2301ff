package dev.tether.cli.ui;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tether.cli.Main;
import dev.tether.cli.control.HostControlPlane;
import dev.tether.events.Event;
import dev.tether.events.EventKind;
import dev.tether.events.EventLayer;
import dev.tether.events.SessionDetail;
import dev.tether.events.Verdict;
import dev.tether.events.store.AuditStore;
import dev.tether.server.ControlPlane;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class UiCommandTest {
    @TempDir Path dir;

    @Test
    void servesThePolicyBehindTheTokenItPrints() throws Exception {
        Path policy = dir.resolve("p.cedar");
        Files.writeString(policy, "permit (principal, action == Action::\"FileOpen\", resource);\n");
        CommandLine cli = Main.newCommandLine();
        StringWriter out = new StringWriter();
        cli.setOut(new PrintWriter(out));
        Path db = dir.resolve("audit.db");
        AuditStore.open(db).close(); // an empty store: a named one that does not exist is refused (a typo)
        cli.parseArgs("ui", "--listen", "127.0.0.1:0", "--policy", policy.toString(), "--db", db.toString());
        UiCommand ui = cli.getSubcommands().get("ui").getCommand();
        try (HostControlPlane served = ui.start()) {
            ControlPlane plane = served.plane();
            String printed = out.toString();
            assertThat(printed).contains("tether control UI: http://127.0.0.1:" + plane.port() + "/?token=");
            String token = printed.substring(printed.indexOf("?token=") + 7).lines().findFirst().orElseThrow().trim();
            HttpClient http = HttpClient.newHttpClient();
            HttpResponse<String> withToken = http.send(HttpRequest.newBuilder(URI.create(plane.baseUri() + "api/policies"))
                    .header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(withToken.statusCode()).isEqualTo(200);
            assertThat(withToken.body()).contains("FileOpen");
            HttpResponse<String> without = http.send(HttpRequest.newBuilder(URI.create(plane.baseUri() + "api/policies"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertThat(without.statusCode()).isEqualTo(401);
        }
    }

    @Test
    void learnsFromTheAuditStoreItIsGiven() throws Exception {
        Path project = dir.resolve("proj");
        Files.createDirectories(project.resolve(".tether"));
        Path policy = project.resolve(".tether/policy.cedar");
        Files.writeString(policy, "permit (principal, action == Action::\"FileOpenReadOnly\", resource in Dir::\"/workspace/\");\n");
        Path db = dir.resolve("audit.db");
        try (dev.tether.events.store.AuditStore store = dev.tether.events.store.AuditStore.open(db)) {
            store.append(java.util.List.of(dev.tether.events.Event.builder(dev.tether.events.EventKind.FILE_OPEN_READ_ONLY)
                    .session("s1").principal("claude").layer(dev.tether.events.EventLayer.FANOTIFY)
                    .resource("/workspace/README").decision(dev.tether.events.Verdict.ALLOW, java.util.List.of("policy0"), "allowed")
                    .build()));
        }
        CommandLine cli = Main.newCommandLine();
        StringWriter out = new StringWriter();
        cli.setOut(new PrintWriter(out));
        cli.parseArgs("ui", "--listen", "127.0.0.1:0", "--policy", policy.toString(), "--audit", db.toString());
        UiCommand ui = cli.getSubcommands().get("ui").getCommand();
        try (HostControlPlane served = ui.start()) {
            ControlPlane plane = served.plane();
            String token = out.toString().substring(out.toString().indexOf("?token=") + 7).lines().findFirst().orElseThrow().trim();
            HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(plane.baseUri()
                    + "api/suggestions")).header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(200);
            // The project is the policy's (proj/.tether/policy.cedar): /workspace paths are written with its own path.
            assertThat(r.body()).contains("File::\\\"" + project.toAbsolutePath() + "/README\\\"");
        }
        assertThat(UiCommand.projectOf(Path.of("/srv/app/.tether/policy.cedar"))).isEqualTo(Path.of("/srv/app"));
        CommandLine again = Main.newCommandLine();
        StringWriter err = new StringWriter();
        again.setErr(new PrintWriter(err));
        assertThat(again.execute("ui", "--listen", "127.0.0.1:0", "--policy", policy.toString(), "--audit",
                dir.resolve("none.db").toString())).isEqualTo(2);
        assertThat(err.toString()).contains("no audit database at");
    }

    @Test
    void servesTheAuditStoresSessionsReadOnlyAndFollowsWhatTheyRecord() throws Exception {
        Path policy = dir.resolve("p.cedar");
        Files.writeString(policy, "permit (principal, action == Action::\"FileOpen\", resource);\n");
        Path db = dir.resolve("audit.db");
        String session = "20261127-0400-abcdef";
        long t0 = Event.nowNs();
        try (AuditStore writer = AuditStore.open(db)) {
            writer.append(List.of(Event.builder(EventKind.SESSION_START).timeNs(t0).session(session).principal("codex")
                            .detail(SessionDetail.start(List.of("codex"), "enforce", "podman")).build(),
                    Event.builder(EventKind.FILE_OPEN_READ_ONLY).timeNs(t0 + 1).session(session).principal("codex")
                            .layer(EventLayer.FANOTIFY).process(42, 1, 42).comm("cat").resource("/workspace/.env")
                            .decision(Verdict.DENY, List.of("policy1"), "denied").build()));
            CommandLine cli = Main.newCommandLine();
            StringWriter out = new StringWriter();
            cli.setOut(new PrintWriter(out));
            cli.parseArgs("ui", "--listen", "127.0.0.1:0", "--policy", policy.toString(), "--db", db.toString());
            UiCommand ui = cli.getSubcommands().get("ui").getCommand();
            try (HostControlPlane served = ui.start()) {
                ControlPlane plane = served.plane();
                String token = plane.config().token().reveal();
                HttpClient http = HttpClient.newHttpClient();
                JsonNode sessions = get(http, plane, token, "api/sessions").get("sessions");
                assertThat(sessions).hasSize(1);
                assertThat(sessions.get(0).get("id").asText()).isEqualTo(session);
                assertThat(sessions.get(0).get("controllable").asBoolean()).isFalse();
                assertThat(sessions.get(0).get("counts").get("denied").asInt()).isEqualTo(1);
                JsonNode events = get(http, plane, token, "api/events?session=" + session).get("events");
                assertThat(events).extracting(e -> e.get("resource") == null ? "" : e.get("resource").asText())
                        .contains("/workspace/.env");
                // Stopping it is refused: another tether runs it.
                HttpResponse<String> stop = http.send(HttpRequest.newBuilder(URI.create(plane.baseUri() + "api/sessions/"
                        + session + "/stop")).header("Authorization", "Bearer " + token)
                        .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(stop.statusCode()).isEqualTo(409);

                // What the session records next arrives on the live stream.
                HttpResponse<java.util.stream.Stream<String>> stream = http.send(HttpRequest.newBuilder(
                        URI.create(plane.baseUri() + "api/stream?backlog=0")).header("Authorization", "Bearer " + token)
                        .build(), HttpResponse.BodyHandlers.ofLines());
                var lines = stream.body().iterator();
                assertThat(lines.next()).isEqualTo("event: hello");
                writer.append(List.of(Event.builder(EventKind.NETWORK_CONNECT).timeNs(t0 + 2).session(session)
                        .principal("codex").layer(EventLayer.CGROUP_BPF).process(42, 1, 42)
                        .resource("203.0.113.9:443").decision(Verdict.DENY).build()));
                java.util.concurrent.CompletableFuture<String> seen = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                    while (lines.hasNext()) {
                        String l = lines.next();
                        if (l.startsWith("data: ") && l.contains("203.0.113.9:443")) {
                            return l;
                        }
                    }
                    return null;
                });
                assertThat(seen.get(30, java.util.concurrent.TimeUnit.SECONDS)).contains("\"verdict\":\"deny\"");
                stream.body().close();
            }
        }
    }

    private static JsonNode get(HttpClient http, ControlPlane plane, String token, String path) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(plane.baseUri() + path))
                .header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return new ObjectMapper().readTree(r.body());
    }

    @Test
    void refusesANonLoopbackAddressWithoutTheOptIn() throws Exception {
        Path policy = dir.resolve("p.cedar");
        Files.writeString(policy, "permit (principal, action, resource);\n");
        CommandLine cli = Main.newCommandLine();
        StringWriter err = new StringWriter();
        cli.setErr(new PrintWriter(err));
        int code = cli.execute("ui", "--listen", "0.0.0.0:0", "--policy", policy.toString());
        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).contains("refusing to listen on non-loopback address 0.0.0.0");
    }

    @Test
    void refusesABrokenPolicyWithItsLocation() throws Exception {
        Path policy = dir.resolve("bad.cedar");
        Files.writeString(policy, "permit (principal, action == Action::\"Nope\", resource);\n");
        CommandLine cli = Main.newCommandLine();
        StringWriter err = new StringWriter();
        cli.setErr(new PrintWriter(err));
        assertThat(cli.execute("ui", "--listen", "127.0.0.1:0", "--policy", policy.toString())).isEqualTo(2);
        assertThat(err.toString()).contains("bad.cedar:1:30").contains("unrecognized action");
    }
}
