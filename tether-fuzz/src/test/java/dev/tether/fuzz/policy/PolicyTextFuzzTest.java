package dev.tether.fuzz.policy;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.DictionaryFile;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.tether.policy.Decision;
import dev.tether.policy.Finding;
import dev.tether.policy.LoadResult;
import dev.tether.policy.PolicyFormat;
import dev.tether.policy.PolicyLoader;
import dev.tether.policy.PolicyRef;
import dev.tether.policy.PolicySnapshot;
import dev.tether.policy.Request;
import dev.tether.policy.Severity;
import dev.tether.policy.cedar.CedarReference;
import dev.tether.policy.text.Lexer;
import dev.tether.policy.text.Statement;
import dev.tether.policy.text.Token;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Policy text is written by people and by the Control UI's editor, and arrives over the API: the
 * loader must turn any text into either a snapshot or located findings, never an exception, a hang
 * or a crash of the JVM (cedar-java parses natively). A policy that loads must decide every request
 * the way cedar-java does, and formatting it must not change what it decides.
 */
class PolicyTextFuzzTest {
    private static final String SOURCE = "fuzz.cedar";

    @FuzzTest
    @DictionaryFile(resourcePath = "cedar.dict")
    void policyText(byte[] input) {
        String text = new String(input, StandardCharsets.UTF_8);
        checkLexer(text, Lexer.lex(text));

        LoadResult result = PolicyLoader.parse(text, SOURCE);
        switch (result) {
            case LoadResult.Rejected rejected -> {
                assertThat(rejected.errors()).anyMatch(f -> f.severity() == Severity.ERROR);
                rejected.errors().forEach(f -> checkLocated(f, text));
            }
            case LoadResult.Loaded loaded -> {
                loaded.warnings().forEach(f -> checkLocated(f, text));
                PolicySnapshot snapshot = loaded.snapshot();
                assertThat(snapshot.sourceText()).isEqualTo(text);
                List<Request> requests = PolicyRequests.derivedFrom(text);
                agreesWithCedar(snapshot, requests);
                formattingKeepsDecisions(text, snapshot, requests);
            }
        }
    }

    /** Statements are in order, do not overlap, end with ';' and hold exactly their text. */
    private static void checkLexer(String text, Lexer.Result lexed) {
        int previousEnd = 0;
        for (Statement st : lexed.statements()) {
            assertThat(st.start()).isBetween(previousEnd, st.end());
            assertThat(st.end()).isLessThanOrEqualTo(text.length());
            assertThat(st.text()).isEqualTo(text.substring(st.start(), st.end()));
            assertThat(st.tokens()).isNotEmpty();
            assertThat(st.tokens().getLast().isPunct(";")).isTrue();
            for (Token t : st.tokens()) {
                assertThat(t.start()).isBetween(st.start(), t.end());
                assertThat(t.end()).isLessThanOrEqualTo(st.end());
            }
            previousEnd = st.end();
        }
    }

    private static void checkLocated(Finding f, String text) {
        assertThat(f.file()).isEqualTo(SOURCE);
        assertThat(f.code()).matches("TP\\d{3}");
        assertThat(f.line()).as("line of %s", f).isBetween(1, (int) text.lines().count() + 1);
        assertThat(f.column()).as("column of %s", f).isGreaterThanOrEqualTo(1);
        assertThat(f.message()).isNotBlank();
    }

    private static void agreesWithCedar(PolicySnapshot snapshot, List<Request> requests) {
        CedarReference cedar = new CedarReference(snapshot);
        for (Request r : requests) {
            Decision ours = snapshot.decide(r);
            CedarReference.Answer theirs = cedar.decide(r);
            assertThat(ours.allowed()).as("allowed for %s (cedar: %s)", r, theirs).isEqualTo(theirs.allowed());
            assertThat(ids(ours.determining())).as("determining for %s", r).isEqualTo(ids(theirs.determining()));
        }
    }

    private static void formattingKeepsDecisions(String text, PolicySnapshot snapshot, List<Request> requests) {
        PolicyFormat.Result formatted = PolicyFormat.format(text, SOURCE);
        if (!formatted.formatted()) {
            assertThat(formatted.findings()).isNotEmpty();
            return;
        }
        LoadResult again = PolicyLoader.parse(formatted.text(), SOURCE);
        assertThat(again).as("formatted policy loads:\n%s", formatted.text()).isInstanceOf(LoadResult.Loaded.class);
        PolicySnapshot pretty = ((LoadResult.Loaded) again).snapshot();
        for (Request r : requests) {
            assertThat(pretty.decide(r).allowed()).as("formatted decides %s alike", r).isEqualTo(snapshot.decide(r).allowed());
        }
    }

    private static Set<String> ids(List<PolicyRef> refs) {
        Set<String> out = new TreeSet<>();
        refs.forEach(r -> out.add(r.id() + "@" + r.line()));
        return out;
    }
}
