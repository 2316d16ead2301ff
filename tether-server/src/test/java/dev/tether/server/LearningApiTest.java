package dev.tether.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Suggestions and "what would change" over a real audit store, through the real HTTP API. */
class LearningApiTest {
    @TempDir Path dir;
    ControlPlaneFixture f;

    @BeforeEach
    void start() throws Exception {
        f = LearningFixture.start(dir);
    }

    @AfterEach
    void stop() {
        f.close();
    }

    @Test
    void suggestionsAreLearnedFromTheRecordedSessions() throws Exception {
        JsonNode s = f.ok("GET", "/api/suggestions", null);
        assertThat(s.get("sessions")).hasSize(2);
        assertThat(s.get("eventsRead").asLong()).isEqualTo(12);
        String cedar = s.get("cedar").asText();
        assertThat(cedar).contains("resource in Dir::\"/home/dev/proj/src/\"").contains("Host::\"api.example.com:443\"")
                .contains("File::\"/home/dev/proj/out/report.txt\"").contains("context.args == \"status\"");
        List<String> kinds = new ArrayList<>();
        s.get("statements").forEach(st -> kinds.add(st.get("kind").asText()));
        assertThat(kinds).contains("directory-group", "files", "program", "host");
        // Leash's /suggest shape rides along.
        assertThat(s.get("event_count").asLong()).isEqualTo(12);
        assertThat(s.get("sequence_count").asInt()).isEqualTo(2);
        assertThat(s.get("suggestions").get(0).get("ProposedCedar").asText()).contains("permit (");
        JsonNode one = f.ok("GET", "/api/suggestions?session=s-one", null);
        assertThat(one.get("sessions")).hasSize(1);
        assertThat(one.get("eventsRead").asLong()).isEqualTo(6);
        JsonNode leash = f.ok("GET", "/suggest?window=36500d", null);
        assertThat(leash.get("suggestions").size()).isEqualTo(s.get("suggestions").size());
        assertThat(f.ok("GET", "/api/suggestions/sessions", null).get("sessions")).extracting(n -> n.get("id").asText())
                .containsExactly("s-one", "s-two");
    }

    @Test
    void suggestionQueriesAreChecked() throws Exception {
        HttpResponse<String> unknown = f.send("GET", "/api/suggestions?session=nope", null);
        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(unknown.body()).contains("no recorded session 'nope'");
        assertThat(f.send("GET", "/api/suggestions?since=yesterday", null).statusCode()).isEqualTo(400);
        assertThat(f.send("GET", "/suggest?window=forever", null).statusCode()).isEqualTo(400);
    }

    @Test
    void replayShowsWhatACandidateWouldChange() throws Exception {
        String candidate = LearningFixture.POLICY.replace("""
                @id("git")
                permit (principal, action == Action::"ProcessExec", resource == File::"/usr/bin/git");
                """, "");
        JsonNode r = f.ok("POST", "/api/policies/replay", f.jsonString(java.util.Map.of("cedar", candidate)));
        assertThat(r.get("baseline").asText()).isEqualTo("recorded");
        assertThat(r.get("decisions").asLong()).isEqualTo(12);
        assertThat(r.get("newlyDenied").asLong()).isEqualTo(2);
        assertThat(r.get("newlyAllowed").asLong()).isZero();
        assertThat(r.get("unchangedDenied").asLong()).isEqualTo(2);
        JsonNode c = r.get("changes").get(0);
        assertThat(c.get("direction").asText()).isEqualTo("newly-denied");
        assertThat(c.get("resource").asText()).isEqualTo("/usr/bin/git status");
        assertThat(c.get("count").asLong()).isEqualTo(2);
        assertThat(c.get("responsible").asText()).isEqualTo("no permit matches (default deny)");
        assertThat(c.get("sessions")).hasSize(2);

        // Against the policy in force: the same requests, decided by it.
        String allowWrite = LearningFixture.POLICY + "\npermit (principal, action == Action::\"FileOpenReadWrite\", resource in Dir::\"/home/dev/proj/out/\");\n";
        JsonNode cur = f.ok("POST", "/api/policies/replay", f.jsonString(java.util.Map.of("cedar", allowWrite, "against", "current")));
        assertThat(cur.get("baseline").asText()).isEqualTo("current.cedar");
        assertThat(cur.get("newlyAllowed").asLong()).isEqualTo(2);
        assertThat(cur.get("changes").get(0).get("rules").get(0).get("line").asInt()).isEqualTo(11);
        // No candidate: the policy in force against the recording.
        JsonNode self = f.ok("POST", "/api/policies/replay", "{\"sessions\":[\"s-two\"]}");
        assertThat(self.get("newlyDenied").asLong()).isZero();
        assertThat(self.get("decisions").asLong()).isEqualTo(6);
    }

    @Test
    void aCandidateThatDoesNotLoadIsRefusedWithItsLocation() throws Exception {
        HttpResponse<String> r = f.send("POST", "/api/policies/replay",
                "{\"cedar\":\"permit (principal, action == Action::\\\"FileOpn\\\", resource);\"}");
        assertThat(r.statusCode()).isEqualTo(400);
        JsonNode err = f.json.readTree(r.body()).get("error");
        assertThat(err.get("message").asText()).contains("does not load").contains(":1:30:");
        assertThat(err.get("code").asText()).isEqualTo("TP010");
        assertThat(err.get("findings").get(0).get("column").asInt()).isEqualTo(30);
        assertThat(f.send("POST", "/api/policies/replay", "{\"against\":\"yesterday\"}").statusCode()).isEqualTo(400);
        assertThat(f.send("POST", "/api/policies/replay", "{\"sessions\":\"s-one\"}").statusCode()).isEqualTo(400);
        assertThat(f.send("POST", "/api/policies/replay", "{\"sessions\":[\"nope\"]}").statusCode()).isEqualTo(404);
        assertThat(f.send("POST", "/api/policies/replay", "{\"maxChanges\":-1}").statusCode()).isEqualTo(400);
        // Nothing was applied by any of this.
        assertThat(f.policy.current().generation()).isEqualTo(1);
    }
}
