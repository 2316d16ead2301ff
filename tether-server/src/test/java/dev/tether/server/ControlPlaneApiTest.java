package dev.tether.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tether.events.Verdict;
import dev.tether.policy.Mode;
import dev.tether.server.spi.SessionView;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ControlPlaneApiTest {
    @TempDir Path dir;
    ControlPlaneFixture f;

    @BeforeEach
    void start() throws Exception {
        f = new ControlPlaneFixture(dir);
    }

    @AfterEach
    void stop() {
        f.close();
    }

    static final List<String[]> ENDPOINTS = List.of(
            new String[] {"GET", "/api/policies"}, new String[] {"POST", "/api/policies"},
            new String[] {"PUT", "/api/policies"}, new String[] {"PATCH", "/api/policies"},
            new String[] {"POST", "/api/policies/validate"}, new String[] {"POST", "/api/policies/complete"},
            new String[] {"POST", "/api/policies/persist"}, new String[] {"POST", "/api/policies/permit-all"},
            new String[] {"POST", "/api/policies/enforce-apply"}, new String[] {"GET", "/api/policies/lines"},
            new String[] {"POST", "/api/policies/add"}, new String[] {"POST", "/api/policies/delete"},
            new String[] {"POST", "/api/policies/add-from-action"}, new String[] {"POST", "/api/policies/propose"},
            new String[] {"POST", "/api/decide"}, new String[] {"GET", "/api/events"},
            new String[] {"GET", "/api/sessions"}, new String[] {"GET", "/api/sessions/s1"},
            new String[] {"POST", "/api/sessions/s1/stop"}, new String[] {"PUT", "/api/sessions/s1/mode"},
            new String[] {"GET", "/api/mode"}, new String[] {"PUT", "/api/mode"}, new String[] {"GET", "/api/suggestions"},
            new String[] {"GET", "/suggest"}, new String[] {"GET", "/api/suggestions/sessions"},
            new String[] {"POST", "/api/policies/replay"}, new String[] {"GET", "/api/stream"}, new String[] {"GET", "/healthz"});

    @Test
    void everyEndpointRefusesMissingAndWrongTokens() throws Exception {
        long genBefore = f.policy.current().generation();
        for (String[] ep : ENDPOINTS) {
            String body = ep[0].equals("GET") ? null : "{\"cedar\":\"forbid (principal, action, resource);\",\"mode\":\"permissive\"}";
            HttpResponse<String> none = f.send(ep[0], ep[1], body, Map.of());
            assertThat(none.statusCode()).as("%s %s without token", ep[0], ep[1]).isEqualTo(401);
            assertThat(none.body()).contains("missing access token");
            assertThat(none.headers().firstValue("WWW-Authenticate")).hasValue("Bearer realm=\"tether\"");
            HttpResponse<String> wrong = f.send(ep[0], ep[1], body,
                    Map.of("Authorization", "Bearer " + "x".repeat(43)));
            assertThat(wrong.statusCode()).as("%s %s with a wrong token", ep[0], ep[1]).isEqualTo(401);
        }
        // Refused requests changed nothing.
        assertThat(f.policy.current().generation()).isEqualTo(genBefore);
        assertThat(f.sessions.defaultMode()).isEqualTo(Mode.ENFORCE);
    }

    @Test
    void foreignHostHeaderIsRefusedEvenWithTheToken() throws Exception {
        String resp = rawRequest("GET /api/policies HTTP/1.1\r\nHost: evil.example:" + f.plane.port()
                + "\r\nAuthorization: Bearer " + f.token() + "\r\nConnection: close\r\n\r\n");
        assertThat(resp).startsWith("HTTP/1.1 403").contains("does not name this control plane");
        String ok = rawRequest("GET /api/policies HTTP/1.1\r\nHost: localhost:" + f.plane.port()
                + "\r\nAuthorization: Bearer " + f.token() + "\r\nConnection: close\r\n\r\n");
        assertThat(ok).startsWith("HTTP/1.1 200");
    }

    private String rawRequest(String request) throws Exception {
        try (Socket s = new Socket("127.0.0.1", f.plane.port())) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            out.write(request.getBytes(StandardCharsets.US_ASCII));
            out.flush();
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void corsOnlyForItsOwnOrigin() throws Exception {
        HttpResponse<String> foreign = f.send("GET", "/api/policies", null,
                Map.of("Authorization", "Bearer " + f.token(), "Origin", "http://evil.example"));
        assertThat(foreign.statusCode()).isEqualTo(403);
        assertThat(foreign.headers().firstValue("Access-Control-Allow-Origin")).isEmpty();
        String own = "http://127.0.0.1:" + f.plane.port();
        HttpResponse<String> same = f.send("GET", "/api/policies", null,
                Map.of("Authorization", "Bearer " + f.token(), "Origin", own));
        assertThat(same.statusCode()).isEqualTo(200);
        assertThat(same.headers().firstValue("Access-Control-Allow-Origin")).hasValue(own);
        HttpResponse<String> preflight = f.send("OPTIONS", "/api/policies", null, Map.of("Origin", "http://evil.example"));
        assertThat(preflight.statusCode()).isEqualTo(403);
    }

    @Test
    void nonLoopbackBindIsRefusedWithoutTheOptIn() {
        assertThatThrownBy(() -> ControlPlaneConfig.defaults().withListen("0.0.0.0:18080").checkedBindAddress())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("non-loopback")
                .hasMessageContaining("--allow-remote");
        assertThat(ControlPlaneConfig.defaults().withListen("0.0.0.0:18080").withAllowNonLoopback(true)
                .checkedBindAddress().isAnyLocalAddress()).isTrue();
        assertThat(ControlPlaneConfig.defaults().withListen("[::1]:9000").checkedBindAddress().isLoopbackAddress())
                .isTrue();
        assertThatThrownBy(() -> ControlPlaneConfig.defaults().withListen("localhost:http"))
                .hasMessageContaining("not a number");
    }

    @Test
    void getReplaceAndRejectKeepsTheLastGoodPolicy() throws Exception {
        JsonNode cur = f.ok("GET", "/api/policies", null);
        assertThat(cur.get("cedar").asText()).isEqualTo(ControlPlaneFixture.BASE_POLICY);
        assertThat(cur.get("cedarFile").asText()).isEqualTo(ControlPlaneFixture.BASE_POLICY);
        assertThat(cur.get("enforcementMode").asText()).isEqualTo("enforce");
        long gen = cur.get("generation").asLong();

        String next = "permit (principal, action == Action::\"ProcessExec\", resource == File::\"/usr/bin/git\");\n";
        JsonNode replaced = f.ok("PUT", "/api/policies", f.jsonString(Map.of("cedar", next)));
        assertThat(replaced.get("cedar").asText()).isEqualTo(next);
        assertThat(replaced.get("generation").asLong()).isEqualTo(gen + 1);

        // Leash also accepts the raw Cedar text as the body.
        HttpResponse<String> raw = f.send("POST", "/api/policies", null, Map.of("Authorization", "Bearer " + f.token()));
        assertThat(raw.statusCode()).isEqualTo(400);

        String broken = "permit (principal, action == Action::\"ProcessExec\", resource);\n\npermit (principal action, resource);\n";
        HttpResponse<String> rej = f.send("POST", "/api/policies", f.jsonString(Map.of("cedar", broken)));
        assertThat(rej.statusCode()).isEqualTo(400);
        JsonNode err = f.json.readTree(rej.body()).get("error");
        assertThat(err.get("message").asText()).contains("previous policy stays in force").contains(":3:1:");
        assertThat(err.get("line").asInt()).isEqualTo(3);
        assertThat(err.get("findings").get(0).get("code").asText()).isEqualTo("parse_error");
        assertThat(f.ok("GET", "/api/policies", null).get("cedar").asText()).isEqualTo(next);

        HttpResponse<String> unknownAction = f.send("PUT", "/api/policies",
                f.jsonString(Map.of("cedar", "permit (principal, action == Action::\"FileRead\", resource);")));
        assertThat(unknownAction.statusCode()).isEqualTo(400);
        assertThat(unknownAction.body()).contains("unknown action").contains("\"column\":30");
    }

    @Test
    void patchAddsAndRemovesStatementsByIdOrText() throws Exception {
        JsonNode lines = f.ok("GET", "/api/policies/lines", null).get("lines");
        assertThat(lines).hasSize(3);
        assertThat(lines.get(1).get("effect").asText()).isEqualTo("forbid");
        String forbidId = lines.get(1).get("id").asText();
        String add = "permit (principal, action == Action::\"ProcessExec\", resource == File::\"/usr/bin/ls\");";
        JsonNode patched = f.ok("PATCH", "/api/policies", f.jsonString(Map.of(
                "add", List.of(Map.of("cedar", add)), "remove", List.of(Map.of("id", forbidId)))));
        String text = patched.get("cedar").asText();
        assertThat(text).contains(add).doesNotContain("/workspace/.env").contains("// tether test policy");
        assertThat(f.policy.current().text()).isEqualTo(text);
        // Adding the same statement again is idempotent.
        JsonNode again = f.ok("POST", "/api/policies/add", f.jsonString(Map.of("cedar", add)));
        assertThat(again.get("cedar").asText()).isEqualTo(text);
        // Unknown id: 404, nothing changes.
        HttpResponse<String> missing = f.send("PATCH", "/api/policies",
                f.jsonString(Map.of("remove", List.of(Map.of("id", "policy-9-dead")))));
        assertThat(missing.statusCode()).isEqualTo(404);
        assertThat(f.send("PATCH", "/api/policies", "{}").statusCode()).isEqualTo(400);
        // Delete by text, Leash style.
        JsonNode deleted = f.ok("POST", "/api/policies/delete", f.jsonString(Map.of("cedar", add)));
        assertThat(deleted.get("cedar").asText()).doesNotContain("/usr/bin/ls");
        JsonNode fromAction = f.ok("POST", "/api/policies/add-from-action", f.jsonString(Map.of(
                "effect", "forbid", "action", Map.of("type", "net.connect", "name", "evil.example"))));
        assertThat(fromAction.get("cedar").asText()).contains("forbid (").contains("Host::\"evil.example\"");
    }

    @Test
    void validateReportsLocatedFindingsWithoutApplying() throws Exception {
        long gen = f.policy.current().generation();
        String text = "permit (principal, action == Action::\"FileOpen\", resource);\n"
                + "permit (principal, action == Action::\"Bogus\", resource in Dir::\"/tmp\");\n";
        JsonNode v = f.ok("POST", "/api/policies/validate", f.jsonString(Map.of("cedar", text)));
        assertThat(v.get("valid").asBoolean()).isFalse();
        JsonNode findings = v.get("findings");
        assertThat(findings).hasSize(2);
        assertThat(findings.get(0).get("code").asText()).isEqualTo("unknown_action");
        assertThat(findings.get(0).get("line").asInt()).isEqualTo(2);
        assertThat(findings.get(0).get("column").asInt()).isEqualTo(30);
        assertThat(findings.get(0).get("severity").asText()).isEqualTo("error");
        assertThat(findings.get(1).get("code").asText()).isEqualTo("dir_without_slash");
        assertThat(v.get("issues").get(0).get("policyId").asText()).startsWith("policy-1-");
        assertThat(f.policy.current().generation()).isEqualTo(gen);
        JsonNode good = f.ok("POST", "/api/policies/validate", "{}");
        assertThat(good.get("valid").asBoolean()).isTrue();
    }

    @Test
    void completeOffersActionsTypesAndObservedResources() throws Exception {
        f.events.publish(ControlPlaneFixture.event("s1", "claude", "FileOpenReadOnly", "/workspace/src/Main.java",
                Verdict.ALLOW));
        f.events.publish(ControlPlaneFixture.event("s1", "claude", "NetworkConnect", "registry.npmjs.org:443",
                Verdict.DENY));
        String text = "permit (principal, action == Action::\"Fi";
        JsonNode items = f.ok("POST", "/api/policies/complete", f.jsonString(Map.of(
                "cedar", text, "cursor", Map.of("line", 1, "column", text.length() + 1)))).get("items");
        assertThat(items.findValuesAsText("label")).contains("FileOpen", "FileOpenReadOnly", "FileOpenReadWrite")
                .doesNotContain("ProcessExec");
        assertThat(items.get(0).get("range").get("start").get("column").asInt()).isEqualTo(text.length() - 1);

        String files = "permit (principal, action, resource == File::\"/work";
        JsonNode fileItems = f.ok("POST", "/api/policies/complete", f.jsonString(Map.of(
                "cedar", files, "cursor", Map.of("line", 1, "column", files.length() + 1)))).get("items");
        assertThat(fileItems.findValuesAsText("label")).containsExactly("/workspace/src/Main.java");
        assertThat(fileItems.get(0).get("insertText").asText()).isEqualTo("/workspace/src/Main.java\"");

        String hosts = "forbid (principal, action, resource == Host::\"";
        JsonNode hostItems = f.ok("POST", "/api/policies/complete", f.jsonString(Map.of(
                "cedar", hosts, "cursor", Map.of("line", 1, "column", hosts.length() + 1)))).get("items");
        assertThat(hostItems.findValuesAsText("label")).contains("registry.npmjs.org:443", "registry.npmjs.org");

        JsonNode types = f.ok("POST", "/api/policies/complete", f.jsonString(Map.of(
                "cedar", "permit (principal, action, resource in Di", "cursor", Map.of("line", 1, "column", 42))))
                .get("items");
        assertThat(types.findValuesAsText("label")).contains("Dir::");
        assertThat(f.send("POST", "/api/policies/complete", "{\"cedar\":\"x\"}").statusCode()).isEqualTo(400);
    }

    @Test
    void persistWritesThePolicyFileAtomically() throws Exception {
        String next = "permit (principal, action == Action::\"FileOpen\", resource in Dir::\"/workspace/\");\n";
        JsonNode r = f.ok("POST", "/api/policies/persist", f.jsonString(Map.of("cedar", next)));
        assertThat(r.get("cedarFile").asText()).isEqualTo(next);
        assertThat(Files.readString(f.policyFile)).isEqualTo(next);
        // Without a body: writes the policy in force.
        f.ok("PUT", "/api/policies", f.jsonString(Map.of("cedar", ControlPlaneFixture.BASE_POLICY)));
        f.ok("POST", "/api/policies/persist", null);
        assertThat(Files.readString(f.policyFile)).isEqualTo(ControlPlaneFixture.BASE_POLICY);
        // A broken policy is neither applied nor written.
        HttpResponse<String> bad = f.send("POST", "/api/policies/persist", f.jsonString(Map.of("cedar", "permit (")));
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(Files.readString(f.policyFile)).isEqualTo(ControlPlaneFixture.BASE_POLICY);
        try (var listing = Files.list(dir)) {
            assertThat(listing.map(p -> p.getFileName().toString())).containsExactly("policy.cedar");
        }
    }

    @Test
    void modeCanBeReadAndChangedDaemonWideAndPerSession() throws Exception {
        assertThat(f.ok("GET", "/api/mode", null).get("mode").asText()).isEqualTo("enforce");
        assertThat(f.ok("PUT", "/api/mode", "{\"mode\":\"shadow\"}").get("mode").asText()).isEqualTo("shadow");
        assertThat(f.sessions.defaultMode()).isEqualTo(Mode.SHADOW);
        assertThat(f.send("PUT", "/api/mode", "{\"mode\":\"lenient\"}").statusCode()).isEqualTo(400);
        assertThat(f.ok("POST", "/api/policies/permit-all", null).get("enforcementMode").asText()).isEqualTo("permissive");
        assertThat(f.ok("POST", "/api/policies/enforce-apply", null).get("enforcementMode").asText()).isEqualTo("enforce");
    }

    @Test
    void sessionsListDetailModeAndStopARealProcess() throws Exception {
        Process sleeper = new ProcessBuilder("sleep", "300").start();
        f.sessions.register(new SessionView("s1", "claude", "Agent::\"claude\"", List.of("sleep", "300"), "builtin",
                SessionView.State.RUNNING, Mode.ENFORCE, Instant.now(), null), sleeper::destroy);
        f.events.publish(ControlPlaneFixture.event("s1", "claude", "FileOpenReadOnly", "/workspace/a", Verdict.ALLOW));
        f.events.publish(ControlPlaneFixture.event("s1", "claude", "FileOpenReadOnly", "/workspace/.env", Verdict.DENY));
        // A producer's loss report: the session's counts say how many events never made it.
        f.events.publish(new dev.tether.server.spi.ActivityEvent(0, System.currentTimeMillis() * 1_000_000L, "s1",
                "claude", 0, 0, null, null, "EventsLost", null, Verdict.NONE, List.of(), null, List.of(),
                Map.of("source", "ring-buffer", "count", 7)));

        JsonNode list = f.ok("GET", "/api/sessions", null).get("sessions");
        assertThat(list).hasSize(1);
        assertThat(list.get(0).get("principal").asText()).isEqualTo("Agent::\"claude\"");
        assertThat(list.get(0).get("counts").get("total").asInt()).isEqualTo(3);
        assertThat(list.get(0).get("counts").get("denied").asInt()).isEqualTo(1);
        assertThat(list.get(0).get("counts").get("lost").asInt()).isEqualTo(7);
        assertThat(list.get(0).get("mode").asText()).isEqualTo("enforce");

        assertThat(f.ok("PUT", "/api/sessions/s1/mode", "{\"mode\":\"permissive\"}").get("mode").asText())
                .isEqualTo("permissive");
        assertThat(f.send("GET", "/api/sessions/nope", null).statusCode()).isEqualTo(404);
        assertThat(f.send("POST", "/api/sessions/nope/stop", null).statusCode()).isEqualTo(404);

        HttpResponse<String> stop = f.send("POST", "/api/sessions/s1/stop", null);
        assertThat(stop.statusCode()).isEqualTo(202);
        assertThat(sleeper.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(f.ok("GET", "/api/sessions/s1", null).get("state").asText()).isEqualTo("EXITED");
    }

    @Test
    void aSessionThisControlPlaneOnlyShowsIsRefusedWith409AndKeepsItsRecordedCounts() throws Exception {
        f.sessions.register(new SessionView("s-other", "codex", "Agent::\"codex\"", List.of("codex"), "podman",
                SessionView.State.RUNNING, Mode.SHADOW, Instant.now(), null, false,
                new SessionView.EventCounts(40, 30, 6, 4, 3)), () -> {
                    throw new AssertionError("a session this control plane does not control must not be stopped");
                });
        JsonNode s = f.ok("GET", "/api/sessions/s-other", null);
        assertThat(s.get("controllable").asBoolean()).isFalse();
        assertThat(s.get("mode").asText()).isEqualTo("shadow");
        // The directory's counts (the whole session, from the audit store) win over the live feed's.
        assertThat(s.get("counts").get("total").asLong()).isEqualTo(40);
        assertThat(s.get("counts").get("wouldDeny").asLong()).isEqualTo(4);
        assertThat(s.get("counts").get("lost").asLong()).as("events known lost are shown").isEqualTo(3);

        HttpResponse<String> stop = f.send("POST", "/api/sessions/s-other/stop", null);
        assertThat(stop.statusCode()).isEqualTo(409);
        assertThat(stop.body()).contains("run by another tether process");
        HttpResponse<String> mode = f.send("PUT", "/api/sessions/s-other/mode", "{\"mode\":\"enforce\"}");
        assertThat(mode.statusCode()).isEqualTo(409);
        // The daemon-wide mode leaves it alone.
        f.ok("PUT", "/api/mode", "{\"mode\":\"permissive\"}");
        assertThat(f.ok("GET", "/api/sessions/s-other", null).get("mode").asText()).isEqualTo("shadow");
    }

    @Test
    void undecidedEventsCarryVerdictNoneAndCanBeFilteredByIt() throws Exception {
        f.events.publish(ControlPlaneFixture.event("s1", "claude", "SessionStart", null, Verdict.NONE));
        f.events.publish(ControlPlaneFixture.event("s1", "claude", "FileOpenReadOnly", "/workspace/a", Verdict.ALLOW));
        JsonNode none = f.ok("GET", "/api/events?decision=none", null).get("events");
        assertThat(none).hasSize(1);
        assertThat(none.get(0).get("verdict").asText()).isEqualTo("none");
        assertThat(none.get(0).get("action").asText()).isEqualTo("SessionStart");
        assertThat(f.ok("GET", "/api/events?decision=would-deny", null).get("events")).isEmpty();
        assertThat(f.send("GET", "/api/events?decision=maybe", null).statusCode()).isEqualTo(400);
    }

    @Test
    void eventsQueryFiltersAndPages() throws Exception {
        for (int i = 0; i < 250; i++) {
            f.events.publish(ControlPlaneFixture.event(i % 2 == 0 ? "a" : "b", "claude",
                    i % 5 == 0 ? "NetworkConnect" : "FileOpenReadOnly", "/workspace/f" + i,
                    i % 3 == 0 ? Verdict.DENY : Verdict.ALLOW));
        }
        JsonNode page = f.ok("GET", "/api/events?limit=100", null);
        assertThat(page.get("events")).hasSize(100);
        assertThat(page.get("events").get(0).get("seq").asLong()).isEqualTo(250);
        long cursor = page.get("nextBeforeSeq").asLong();
        JsonNode page2 = f.ok("GET", "/api/events?limit=100&before=" + cursor, null);
        assertThat(page2.get("events").get(0).get("seq").asLong()).isEqualTo(cursor - 1);
        JsonNode page3 = f.ok("GET", "/api/events?limit=100&before=" + page2.get("nextBeforeSeq").asLong(), null);
        assertThat(page3.get("events")).hasSize(50);
        assertThat(page3.get("nextBeforeSeq").isNull()).isTrue();

        JsonNode filtered = f.ok("GET", "/api/events?limit=1000&session=a&decision=deny&action=FileOpenReadOnly", null);
        for (JsonNode e : filtered.get("events")) {
            assertThat(e.get("session").asText()).isEqualTo("a");
            assertThat(e.get("verdict").asText()).isEqualTo("deny");
            assertThat(e.get("action").asText()).isEqualTo("FileOpenReadOnly");
        }
        assertThat(filtered.get("events").size()).isPositive();
        JsonNode text = f.ok("GET", "/api/events?q=F249", null);
        assertThat(text.get("events")).hasSize(1);
        assertThat(text.get("events").get(0).get("processChain")).hasSize(3);
        assertThat(f.ok("GET", "/api/events?after=245", null).get("events")).hasSize(5);
        assertThat(f.send("GET", "/api/events?limit=0", null).statusCode()).isEqualTo(400);
        assertThat(f.send("GET", "/api/events?before=abc", null).statusCode()).isEqualTo(400);
        assertThat(f.send("GET", "/api/events?decision=maybe", null).statusCode()).isEqualTo(400);
    }

    @Test
    void withoutARecordingSuggestionsAndReplaySayWhy() throws Exception {
        // This fixture has no recorded activity attached (LearningApiTest has one).
        HttpResponse<String> r = f.send("GET", "/api/suggestions", null);
        assertThat(r.statusCode()).isEqualTo(503);
        assertThat(r.body()).contains("no recorded activity is attached");
        assertThat(f.send("GET", "/suggest", null).statusCode()).isEqualTo(503);
        assertThat(f.send("POST", "/api/policies/replay", "{}").statusCode()).isEqualTo(503);
    }

    @Test
    void malformedJsonAndWrongTypesAreRefusedWithAReason() throws Exception {
        HttpResponse<String> r = f.send("PATCH", "/api/policies", "{\"add\": [");
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(r.body()).contains("malformed JSON");
        assertThat(f.send("PUT", "/api/policies", "{\"cedar\": 42}").body()).contains("must be a string");
        assertThat(f.send("PUT", "/api/mode", "[1,2]").statusCode()).isEqualTo(400);
        assertThat(f.send("POST", "/api/decide", "{\"action\":\"FileOpen\"}").body()).contains("'resource' is required");
        assertThat(f.send("GET", "/api/nothing-here", null).statusCode()).isEqualTo(404);
    }

    @Test
    void oversizedBodiesAreRefused() throws Exception {
        String huge = "{\"cedar\":\"" + "/".repeat(2 << 20) + "\"}";
        HttpResponse<String> r = f.send("PUT", "/api/policies", huge);
        assertThat(r.statusCode()).isEqualTo(413);
        assertThat(f.policy.current().text()).isEqualTo(ControlPlaneFixture.BASE_POLICY);
    }

    @Test
    void proposeFromAnEventThenApplyChangesTheDecision() throws Exception {
        var denied = f.events.publish(ControlPlaneFixture.event("s1", "claude", "FileOpenReadOnly", "/etc/hosts",
                Verdict.DENY));
        String decideBody = f.jsonString(Map.of("agent", "claude", "action", "FileOpenReadOnly", "resource", "/etc/hosts"));
        assertThat(f.ok("POST", "/api/decide", decideBody).get("allowed").asBoolean()).isFalse();
        JsonNode proposal = f.ok("POST", "/api/policies/propose",
                f.jsonString(Map.of("eventSeq", denied.seq(), "effect", "permit")));
        String stmt = proposal.get("cedar").asText();
        assertThat(stmt).contains("principal == Agent::\"claude\"").contains("File::\"/etc/hosts\"");
        f.ok("PATCH", "/api/policies", f.jsonString(Map.of("add", List.of(Map.of("cedar", stmt)))));
        JsonNode after = f.ok("POST", "/api/decide", decideBody);
        assertThat(after.get("allowed").asBoolean()).isTrue();
        assertThat(after.get("reason").asText()).contains("permitted by policy3 at");
        // Another agent is still denied: the proposal is scoped to the event's agent.
        assertThat(f.ok("POST", "/api/decide", f.jsonString(Map.of("agent", "codex", "action", "FileOpenReadOnly",
                "resource", "/etc/hosts"))).get("allowed").asBoolean()).isFalse();
        // forbid beats permit: the .env file stays denied although /workspace/ is permitted.
        JsonNode env = f.ok("POST", "/api/decide", f.jsonString(Map.of("action", "FileOpenReadOnly",
                "resource", "/workspace/.env")));
        assertThat(env.get("allowed").asBoolean()).isFalse();
        assertThat(env.get("reason").asText()).contains("forbidden by policy1 at").contains(":5");
        assertThat(f.send("POST", "/api/policies/propose", "{\"eventSeq\": 99999, \"effect\": \"permit\"}").statusCode())
                .isEqualTo(404);
    }

    @Test
    void healthAnswersWithTheToken() throws Exception {
        assertThat(f.send("GET", "/healthz", null).body()).isEqualTo("ok");
    }

    @Test
    void theUiPageIsServedWithStrictHeaders() throws Exception {
        HttpResponse<String> page = f.send("GET", "/", null, Map.of());
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.body()).contains("<title>tether");
        assertThat(page.headers().firstValue("Content-Security-Policy").orElseThrow()).contains("connect-src 'self'");
        assertThat(page.headers().firstValue("Referrer-Policy")).hasValue("no-referrer");
        assertThat(page.headers().firstValue("X-Frame-Options")).hasValue("DENY");
    }

    @Test
    void theUiIsServedFromADirectoryWhenTheConfigNamesOne() throws Exception {
        // The launcher's extracted copy: what is in the directory is served, not the classpath's.
        Path ui = Files.createDirectories(dir.resolve("ui/assets"));
        Files.writeString(ui.resolveSibling("index.html"), "<!doctype html><title>tether from a directory</title>");
        Files.writeString(ui.resolve("app.js"), "console.log('extracted');");
        try (ControlPlaneFixture external = new ControlPlaneFixture(Files.createDirectories(dir.resolve("plane")),
                ControlPlaneConfig.defaults().withListen("127.0.0.1", 0).withUiDirectory(dir.resolve("ui")))) {
            HttpResponse<String> page = external.send("GET", "/", null, Map.of());
            assertThat(page.statusCode()).isEqualTo(200);
            assertThat(page.body()).contains("tether from a directory");
            assertThat(page.headers().firstValue("Content-Security-Policy").orElseThrow()).contains("connect-src 'self'");
            HttpResponse<String> script = external.send("GET", "/assets/app.js", null, Map.of());
            assertThat(script.statusCode()).isEqualTo(200);
            assertThat(script.body()).isEqualTo("console.log('extracted');");
            assertThat(script.headers().firstValue("Content-Type").orElseThrow()).contains("javascript");
            assertThat(external.send("GET", "/../plane/policy.cedar", null, Map.of()).statusCode()).isNotEqualTo(200);
        }
    }

    static BufferedReader reader(java.io.InputStream in) {
        return new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
    }
}
