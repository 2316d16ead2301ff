package dev.tether.cli.session;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.events.ActionCount;
import dev.tether.events.Event;
import dev.tether.events.EventJson;
import dev.tether.events.EventKind;
import dev.tether.events.EventLayer;
import dev.tether.events.ExecDetail;
import dev.tether.events.FileDetail;
import dev.tether.events.LossDetail;
import dev.tether.events.NetworkDetail;
import dev.tether.events.Verdict;
import dev.tether.events.summary.SessionSummary;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SessionEventOutputTest {
    @TempDir Path dir;

    private static Event exec(String path, List<String> argv) {
        return Event.builder(EventKind.PROCESS_EXEC).layer(EventLayer.KERNEL).session("s").resource(path)
                .process(10, 9, 10).detail(new ExecDetail(argv)).build();
    }

    private static Event open(String path) {
        return Event.builder(EventKind.FILE_OPEN_READ_ONLY).layer(EventLayer.KERNEL).session("s").resource(path)
                .process(10, 9, 10).errno(0).detail(FileDetail.open(0, null)).build();
    }

    private static Event connect(int errno) {
        return Event.builder(EventKind.NETWORK_CONNECT).layer(EventLayer.KERNEL).session("s").resource("10.0.0.1:443")
                .process(11, 9, 11).comm("curl").errno(errno)
                .detail(new NetworkDetail(NetworkDetail.Family.INET, NetworkDetail.Protocol.TCP, "10.0.0.1", 443, null))
                .build();
    }

    @Test
    void argvIsQuotedAsAShellWouldNeedItWithControlCharactersVisible() {
        assertThat(SessionEventOutput.quoteArgv(List.of("git", "commit", "-m", "it's done", ""))).isEqualTo(
                "git commit -m 'it'\\''s done' ''");
        assertThat(SessionEventOutput.quoteArgv(List.of("printf", "a\nb"))).isEqualTo("printf 'a\\nb'");
        assertThat(SessionEventOutput.quoteArgv(List.of("/usr/bin/env", "X=1", "a@b:c,d"))).isEqualTo("/usr/bin/env X=1 a@b:c,d");
    }

    @Test
    void theConsoleShowsExecsConnectsDenialsAndLossButNotFileOpens() {
        assertThat(SessionEventOutput.consoleLine(exec("/bin/echo", List.of("echo", "two words"))))
                .isEqualTo("tether: exec /bin/echo echo 'two words'  (pid 10, parent 9)");
        assertThat(SessionEventOutput.consoleLine(connect(0))).isEqualTo("tether: connect 10.0.0.1:443 tcp  (curl, pid 11)");
        assertThat(SessionEventOutput.consoleLine(connect(111)))
                .isEqualTo("tether: connect 10.0.0.1:443 tcp failed ECONNREFUSED  (curl, pid 11)");
        assertThat(SessionEventOutput.consoleLine(open("/etc/passwd"))).isNull();
        Event denied = open("/w/.env").toBuilder().layer(EventLayer.FANOTIFY).decision(Verdict.DENY, List.of("p1"), "denied").build();
        assertThat(SessionEventOutput.consoleLine(denied)).startsWith("tether: DENIED ").contains("/w/.env");
        Event lost = Event.builder(EventKind.EVENTS_LOST).layer(EventLayer.KERNEL).detail(new LossDetail("kernel-ringbuf", 3)).build();
        assertThat(SessionEventOutput.consoleLine(lost)).isEqualTo("tether: 3 kernel events lost (kernel-ringbuf)");
        Event none = lost.toBuilder().detail(new LossDetail("kernel-ringbuf", 0)).build();
        assertThat(SessionEventOutput.consoleLine(none)).isNull();
    }

    @Test
    void everyEventGoesToTheFileAndTheSummaryCountsThemByKind() throws Exception {
        Path file = dir.resolve("events.jsonl");
        StringWriter console = new StringWriter();
        SessionSummary summary;
        try (SessionEventOutput out = new SessionEventOutput("s", "claude", List.of("sh", "-c", "x"), file,
                new PrintWriter(console, true))) {
            out.sessionStarted("builtin", null);
            out.accept(exec("/bin/sh", List.of("sh", "-c", "x")));
            out.accept(open("/etc/hosts"));
            out.accept(open("/etc/passwd"));
            out.accept(open("/w/.env").toBuilder().layer(EventLayer.FANOTIFY).decision(Verdict.DENY, List.of("p1"), "no").build());
            summary = out.finish(3, 0);
        }
        List<Event> written = Files.readAllLines(file).stream().map(new EventJson()::read).toList();
        assertThat(written).extracting(Event::kind).containsExactly(EventKind.SESSION_START, EventKind.PROCESS_EXEC,
                EventKind.FILE_OPEN_READ_ONLY, EventKind.FILE_OPEN_READ_ONLY, EventKind.FILE_OPEN_READ_ONLY,
                EventKind.EVENTS_LOST, EventKind.SESSION_END);
        assertThat(written.getFirst().principal()).isEqualTo("claude");
        assertThat(summary.events()).isEqualTo(7);
        assertThat(summary.exitCode()).isEqualTo(3);
        assertThat(summary.principal()).isEqualTo("claude");
        assertThat(summary.lost().measured()).isTrue();
        assertThat(summary.lost().counted()).isZero();
        assertThat(summary.counts()).contains(new ActionCount(EventKind.FILE_OPEN_READ_ONLY, Verdict.NONE, 2),
                new ActionCount(EventKind.FILE_OPEN_READ_ONLY, Verdict.DENY, 1),
                new ActionCount(EventKind.PROCESS_EXEC, Verdict.NONE, 1));
        assertThat(summary.denials()).extracting(Event::resource).containsExactly("/w/.env");
        assertThat(console.toString()).contains("tether: exec /bin/sh").contains("DENIED").doesNotContain("/etc/hosts");
    }

    @Test
    void kernelLossIsReportedInTheSummaryAndAsAnEvent() throws Exception {
        Path file = dir.resolve("events.jsonl");
        SessionSummary summary;
        try (SessionEventOutput out = new SessionEventOutput("s", null, List.of("x"), file, null)) {
            summary = out.finish(0, 42);
        }
        assertThat(summary.lost().counted()).isEqualTo(42);
        Event loss = Files.readAllLines(file).stream().map(new EventJson()::read)
                .filter(e -> e.kind() == EventKind.EVENTS_LOST).findFirst().orElseThrow();
        assertThat(loss.detail()).isEqualTo(new LossDetail("kernel-ringbuf", 42));
    }
}
