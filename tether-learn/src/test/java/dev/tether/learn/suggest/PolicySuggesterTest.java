package dev.tether.learn.suggest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.events.Event;
import dev.tether.events.NetworkDetail.Protocol;
import dev.tether.events.Verdict;
import dev.tether.learn.EventSelection;
import dev.tether.learn.InMemoryEvents;
import dev.tether.learn.ProjectAliases;
import dev.tether.learn.TestEvents;
import dev.tether.learn.replay.Baseline;
import dev.tether.learn.replay.PolicyReplayer;
import dev.tether.learn.replay.ReplayChange;
import dev.tether.learn.replay.ReplayReport;
import dev.tether.policy.LoadResult;
import dev.tether.policy.PolicyLoader;
import dev.tether.policy.PolicySnapshot;
import dev.tether.policy.Severity;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class PolicySuggesterTest {
    static final String PROJECT = "/home/dev/proj";
    static final ProjectAliases ALIASES = new ProjectAliases(PROJECT);
    static final SuggestOptions OPTIONS = SuggestOptions.defaults(ALIASES, List.of("/home/dev"));

    /** What an agent does in a typical session. */
    static List<Event> workload(String session) {
        TestEvents t = new TestEvents(session, "claude");
        List<Event> e = new ArrayList<>();
        for (String lib : List.of("libc.so.6", "libz.so.1", "libpcre2-8.so.0", "libselinux.so.1")) {
            e.add(t.read("/usr/lib/x86_64-linux-gnu/" + lib));
        }
        e.add(t.read("/etc/hosts"));
        e.add(t.read("/etc/resolv.conf"));
        e.add(t.read(PROJECT + "/README.md"));
        e.add(t.read("/workspace/src/main.rs"));
        e.add(t.read(PROJECT + "/src/lib.rs"));
        e.add(t.read(PROJECT + "/src/util.rs"));
        e.add(t.write(PROJECT + "/src/lib.rs"));
        e.add(t.write(PROJECT + "/target/out.txt"));
        e.add(t.exec("/usr/bin/git", "git", "status", "--short"));
        e.add(t.exec("/usr/bin/git", "git", "--version"));
        e.add(t.exec("/usr/bin/cargo", "cargo", "build"));
        e.add(t.connect("10.0.0.53", 53, Protocol.UDP));
        e.add(t.http("api.anthropic.com", 443));
        e.add(t.http("a.cdn.example.com", 443));
        e.add(t.http("b.cdn.example.com", 443));
        e.add(t.http("c.cdn.example.com", 443));
        e.add(t.mcp("filesystem", "read_file", "{\"path\":\"/workspace/README.md\"}"));
        e.add(t.mcp("filesystem", "list_directory", "{\"path\":\"/workspace\"}"));
        // shadow mode: denied by default (no statement), let through: the agent needed it
        e.add(t.read("/opt/tool/config.toml", Verdict.WOULD_DENY));
        return e;
    }

    static PolicySnapshot load(String text) {
        LoadResult r = PolicyLoader.parse(text, "suggested.cedar");
        assertThat(r).as(() -> r.findings().stream().map(f -> f.render()).toList() + "\n" + text)
                .isInstanceOf(LoadResult.Loaded.class);
        return ((LoadResult.Loaded) r).snapshot();
    }

    static ReplayReport replay(String policy, List<Event> events) {
        return new PolicyReplayer(ALIASES, 1).replay(new InMemoryEvents(events), EventSelection.all(), load(policy),
                Baseline.recorded(), 1000);
    }

    @Test
    void theSuggestionLoadsWithoutErrorsAndReplaysWithNoNewDenials() {
        List<Event> events = new ArrayList<>(workload("s1"));
        events.addAll(workload("s2"));
        Suggestion s = new PolicySuggester(OPTIONS).suggest(events);
        load(s.cedar());
        assertThat(s.warnings()).noneMatch(f -> f.severity() == Severity.ERROR);
        ReplayReport r = replay(s.cedar(), events);
        assertThat(r.newlyDenied()).as(s.cedar()).isZero();
        // The shadow-mode default denial is now permitted; everything else was allowed and stays so.
        assertThat(r.newlyAllowed()).isEqualTo(2);
        assertThat(r.changes()).singleElement().satisfies(c -> {
            assertThat(c.direction()).isEqualTo(ReplayChange.Direction.NEWLY_ALLOWED);
            assertThat(c.resource()).isEqualTo("/opt/tool/config.toml");
            assertThat(c.count()).isEqualTo(2);
            assertThat(c.rules()).singleElement().satisfies(ref -> assertThat(ref.id()).isEqualTo("read-opt-tool-config-toml"));
        });
        assertThat(r.unchangedAllowed()).isEqualTo(events.size() - 2);
    }

    @Test
    void theSuggestionDeniesExactlyWhatAnotherSessionDidBeyondIt() {
        Suggestion s = new PolicySuggester(OPTIONS).suggest(workload("s1"));
        List<Event> extra = new ArrayList<>(workload("s3"));
        TestEvents t = new TestEvents("s3", "claude").at(TestEvents.T0 + 10_000_000_000L);
        extra.add(t.http("evil.example.net", 443));
        extra.add(t.write("/etc/cron.d/job"));
        extra.add(t.exec("/usr/bin/git", "git", "push", "origin", "main"));
        extra.add(t.mcp("filesystem", "write_file", "{}"));
        ReplayReport r = replay(s.cedar(), extra);
        assertThat(r.newlyDenied()).isEqualTo(4);
        // (the shadow-mode read of /opt/tool/config.toml is newly allowed, as in the first session)
        assertThat(r.changes()).filteredOn(c -> c.direction() == ReplayChange.Direction.NEWLY_DENIED)
                .extracting(ReplayChange::resource).containsExactlyInAnyOrder(
                "evil.example.net:443/tcp", "/etc/cron.d/job", "/usr/bin/git push origin main", "filesystem/write_file");
        assertThat(r.changes()).filteredOn(c -> c.direction() == ReplayChange.Direction.NEWLY_DENIED)
                .allSatisfy(c -> assertThat(c.responsible()).isEqualTo("no permit matches (default deny)"));
    }

    @Test
    void sameEventsInAnyOrderGiveTheSameText() {
        List<Event> events = new ArrayList<>(workload("s1"));
        events.addAll(workload("s2"));
        String first = new PolicySuggester(OPTIONS).suggest(events).cedar();
        for (int seed = 0; seed < 5; seed++) {
            List<Event> shuffled = new ArrayList<>(events);
            Collections.shuffle(shuffled, new Random(seed));
            assertThat(new PolicySuggester(OPTIONS).suggest(shuffled).cedar()).isEqualTo(first);
        }
        assertThat(new PolicySuggester(OPTIONS).suggest(events).cedar()).isEqualTo(first);
    }

    @Test
    void groupsWhereTheEvidenceIsAndNamesFilesElsewhere() {
        String cedar = new PolicySuggester(OPTIONS).suggest(workload("s1")).cedar();
        assertThat(cedar).contains("resource in Dir::\"/usr/lib/x86_64-linux-gnu/\"");
        assertThat(cedar).contains("File::\"/etc/hosts\"").contains("File::\"/etc/resolv.conf\"").doesNotContain("Dir::\"/etc/\"");
        // main.rs (recorded as /workspace/src/main.rs), lib.rs and util.rs: three siblings in src/
        assertThat(cedar).contains("resource in Dir::\"" + PROJECT + "/src/\"").doesNotContain("/workspace/src");
        assertThat(cedar).contains("recorded under /workspace/");
        assertThat(cedar).contains("The project is written with its own path, " + PROJECT);
        assertThat(cedar).contains("principal == Agent::\"claude\"");
        assertThat(cedar).doesNotContain("principal,").doesNotContain("principal)");
    }

    @Test
    void programsNetworkAndMcpAreNarrow() {
        String cedar = new PolicySuggester(OPTIONS).suggest(workload("s1")).cedar();
        assertThat(cedar).contains("resource == File::\"/usr/bin/git\")\nwhen { context.args == \"--version\" || context.args == \"status --short\" };");
        assertThat(cedar).contains("when { context.args == \"build\" }");
        assertThat(cedar).contains("resource in Host::\"10.0.0.53:53\" && context.protocol == \"udp\"");
        assertThat(cedar).contains("resource in Host::\"api.anthropic.com:443\" && context.protocol == \"tcp\"");
        assertThat(cedar).contains("resource in Host::\"*.cdn.example.com:443\"");
        assertThat(cedar).contains("resource in MCP::Server::\"filesystem\")\nwhen { resource in [MCP::Tool::\"list_directory\", MCP::Tool::\"read_file\"] };");
    }

    @Test
    void everyStatementCarriesItsEvidence() {
        Suggestion s = new PolicySuggester(OPTIONS).suggest(workload("s1"));
        assertThat(s.statements()).isNotEmpty().allSatisfy(st -> {
            assertThat(st.cedar()).startsWith("// ").contains("@id(\"" + st.id() + "\")");
            assertThat(st.summary()).matches(".*(once|\\d+ times) in 1 session, (at 2026-11-27T05:29:5\\d\\.\\d{3}Z|2026.* to 2026.*)");
            assertThat(st.evidence().count()).isPositive();
        });
        assertThat(s.statements()).extracting(SuggestedStatement::kind).contains(SuggestedStatement.Kind.DIRECTORY,
                SuggestedStatement.Kind.FILES, SuggestedStatement.Kind.PROGRAM, SuggestedStatement.Kind.HOST,
                SuggestedStatement.Kind.ZONE, SuggestedStatement.Kind.MCP_SERVER);
    }

    @Test
    void refusalsAreListedNotPermittedAndTheirStatementsAreValidWhenUncommented() {
        List<Event> events = new ArrayList<>(workload("s1"));
        TestEvents t = new TestEvents("s1", "claude").at(TestEvents.T0 + 5_000_000_000L);
        events.add(t.read(PROJECT + "/.env", Verdict.DENY));
        events.add(t.forbidden(t.read(PROJECT + "/src/secret.key"), "no-keys", Verdict.WOULD_DENY));
        events.add(t.exec(Verdict.DENY, "/usr/bin/git", "git", "push"));
        events.add(t.connect("169.254.169.254", 80, Protocol.TCP, Verdict.DENY));
        events.add(t.mcp("filesystem", "write_file", "{\"path\":\"/etc/passwd\"}", Verdict.DENY));
        events.add(Event.builder(dev.tether.events.EventKind.PROCESS_EXEC).timeNs(TestEvents.T0 + 6_000_000_000L).session("s1")
                .principal("claude").layer(dev.tether.events.EventLayer.KERNEL)
                .decision(Verdict.DENY, List.of(), "killed: an exec the permission gate never saw").build());
        Suggestion s = new PolicySuggester(OPTIONS).suggest(events);
        PolicySnapshot policy = load(s.cedar());
        assertThat(s.notPermitted()).extracting(NotPermitted::resource).containsExactly(
                PROJECT + "/.env", PROJECT + "/src/secret.key", "filesystem/write_file", "169.254.169.254:80/tcp",
                "/usr/bin/git push", null);
        assertThat(s.cedar()).contains("---- Not permitted; add if intended ----");
        // A forbid's decision is a boundary: src/ is not granted as a whole, the secret stays out.
        assertThat(s.cedar()).doesNotContain("Dir::\"" + PROJECT + "/src/\"");
        ReplayReport r = replay(s.cedar(), events);
        assertThat(r.newlyDenied()).isZero();
        assertThat(r.changes()).extracting(ReplayChange::resource).containsExactly("/opt/tool/config.toml");
        for (NotPermitted np : s.notPermitted()) {
            if (np.statement() == null) {
                assertThat(np.reason()).contains("killed");
                continue;
            }
            assertThat(s.cedar()).contains("// " + np.statement());
            PolicySnapshot with = load(s.cedar() + "\n" + np.statement() + "\n");
            assertThat(policy.statements().size() + 1).isEqualTo(with.statements().size());
        }
        // Uncommenting the git push line permits exactly that run.
        NotPermitted push = s.notPermitted().stream().filter(n -> "/usr/bin/git push".equals(n.resource())).findFirst().orElseThrow();
        ReplayReport after = replay(s.cedar() + "\n" + push.statement() + "\n", events);
        assertThat(after.changes()).extracting(ReplayChange::resource).containsExactlyInAnyOrder("/opt/tool/config.toml", "/usr/bin/git push");
    }

    @Test
    void aProgramWithVariedArgumentsKeepsItsRefusedArgumentsOut() {
        TestEvents t = new TestEvents("s1", "claude");
        List<Event> events = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            events.add(t.exec("/usr/bin/cat", "cat", "file" + i));
        }
        events.add(t.exec(Verdict.DENY, "/usr/bin/cat", "cat", "/etc/shadow"));
        Suggestion s = new PolicySuggester(OPTIONS).suggest(events);
        assertThat(s.cedar()).contains("resource == File::\"/usr/bin/cat\")\nunless { context.args == \"/etc/shadow\" };");
        PolicySnapshot p = load(s.cedar());
        ReplayReport r = replay(s.cedar(), events);
        assertThat(r.newlyDenied()).isZero();
        assertThat(r.newlyAllowed()).isZero();
        assertThat(p).isNotNull();
    }

    @Test
    void eachAgentGetsItsOwnStatements() {
        List<Event> events = new ArrayList<>(workload("s1"));
        events.add(new TestEvents("s9", "codex").read("/etc/hosts"));
        Suggestion s = new PolicySuggester(OPTIONS).suggest(events);
        assertThat(s.cedar()).contains("==== Agent::\"claude\" ====").contains("==== Agent::\"codex\" ====");
        assertThat(s.statements()).filteredOn(st -> st.agent().equals("codex")).singleElement()
                .satisfies(st -> assertThat(st.id()).isEqualTo("codex-read-etc-hosts"));
        // codex read /etc/hosts only; it gets nothing claude did.
        List<Event> codexDoesMore = List.of(new TestEvents("s9", "codex").read("/etc/resolv.conf"));
        assertThat(replay(s.cedar(), codexDoesMore).newlyDenied()).isEqualTo(1);
    }

    @Test
    void recordedTextCannotEscapeCommentsOrStrings() {
        TestEvents t = new TestEvents("s1", "claude");
        List<Event> events = List.of(
                t.read(PROJECT + "/odd\nname\"with quotes\\"),
                t.exec("/usr/bin/sh", "sh", "-c", "echo hi\n}; permit (principal, action, resource); //"),
                t.read(PROJECT + "/tab\there"));
        Suggestion s = new PolicySuggester(OPTIONS).suggest(events);
        PolicySnapshot p = load(s.cedar());
        assertThat(p.statements()).hasSize(s.statements().size());
        assertThat(replay(s.cedar(), events).newlyDenied()).isZero();
        assertThat(s.cedar().lines().filter(l -> l.startsWith("permit (principal, action, resource)"))).isEmpty();
    }

    @Test
    void connectionsTetherHandedToItsProxyAreLearnedByHostNameNotByAddress() {
        TestEvents t = new TestEvents("s1", "claude");
        List<Event> events = List.of(
                t.connect("93.184.216.34", 443, Protocol.TCP).toBuilder().decision(Verdict.ALLOW, List.of(),
                        "allowed: TCP 443 goes to tether's proxy, which decides by hostname").build(),
                t.http("api.example.com", 443));
        Suggestion s = new PolicySuggester(OPTIONS).suggest(events);
        assertThat(s.cedar()).contains("Host::\"api.example.com:443\"").doesNotContain("93.184.216.34")
                .contains("---- Not learned from ----").contains("let through by tether itself");
        assertThat(s.unusable()).containsValue(1L);
        ReplayReport r = replay(s.cedar(), events);
        assertThat(r.newlyDenied()).isZero();
        assertThat(r.notReplayable()).containsOnlyKeys("NetworkConnect: " + dev.tether.learn.RecordedRequests.TETHER_ALLOWANCE);
    }

    @Test
    void nothingRecordedGivesAnEmptyButValidPolicy() {
        Suggestion s = new PolicySuggester(OPTIONS).suggest(List.of());
        assertThat(s.statements()).isEmpty();
        assertThat(s.warnings()).extracting(f -> f.code()).contains("TP053");
    }
}
