package dev.tether.cli.session;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.events.ActionCount;
import dev.tether.events.Event;
import dev.tether.events.EventBus;
import dev.tether.events.EventJson;
import dev.tether.events.EventKind;
import dev.tether.events.EventLayer;
import dev.tether.events.ExecDetail;
import dev.tether.events.FileDetail;
import dev.tether.events.LossDetail;
import dev.tether.events.NetworkDetail;
import dev.tether.events.Verdict;
import dev.tether.events.summary.SessionSummary;
import dev.tether.kernel.event.KernelEventDecoder;
import dev.tether.kernel.event.KernelEventMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.foreign.Arena;
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
        // An enforcing layer's allow of the same exec: the kernel's record already has the line.
        Event allowed = exec("/bin/echo", List.of("echo")).toBuilder().layer(EventLayer.FANOTIFY)
                .decision(Verdict.ALLOW, List.of("p0"), "allowed").build();
        assertThat(SessionEventOutput.consoleLine(allowed)).isNull();
    }

    @Test
    void everyEventGoesToTheFileAndTheSummaryCountsThemByKind() throws Exception {
        Path file = dir.resolve("events.jsonl");
        StringWriter console = new StringWriter();
        SessionSummary summary;
        try (EventBus bus = new EventBus();
             SessionEventOutput out = SessionEventOutput.attach(bus, "s", "claude", List.of("sh", "-c", "x"), file,
                     new PrintWriter(console, true))) {
            bus.publish(exec("/bin/sh", List.of("sh", "-c", "x")));
            bus.publish(open("/etc/hosts"));
            bus.publish(open("/etc/passwd"));
            bus.publish(open("/w/.env").toBuilder().layer(EventLayer.FANOTIFY).decision(Verdict.DENY, List.of("p1"), "no").build());
            bus.publish(KernelEventMapper.ringBufferLoss(new KernelEventMapper.Attribution("s", "claude"), 0));
            out.drain();
            summary = out.summary(3);
        }
        List<Event> written = Files.readAllLines(file).stream().map(new EventJson()::read).toList();
        assertThat(written).extracting(Event::kind).containsExactly(EventKind.PROCESS_EXEC,
                EventKind.FILE_OPEN_READ_ONLY, EventKind.FILE_OPEN_READ_ONLY, EventKind.FILE_OPEN_READ_ONLY,
                EventKind.EVENTS_LOST);
        assertThat(summary.events()).isEqualTo(5);
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
    void kernelRecordsAreMappedOntoTheBusAndLossIsSummed() throws Exception {
        Path file = dir.resolve("events.jsonl");
        SessionSummary summary;
        try (EventBus bus = new EventBus();
             SessionEventOutput out = SessionEventOutput.attach(bus, "s", null, List.of("x"), file, null);
             Arena a = Arena.ofConfined()) {
            // A record too short to decode: published as a one-event loss, counted as malformed.
            out.accept(new KernelEventDecoder(0).decode(a.allocate(4)));
            bus.publish(KernelEventMapper.ringBufferLoss(new KernelEventMapper.Attribution("s", null), 42));
            out.drain();
            summary = out.summary(0);
            assertThat(out.malformed()).isEqualTo(1);
        }
        assertThat(summary.lost().counted()).isEqualTo(43);
        List<Event> lost = Files.readAllLines(file).stream().map(new EventJson()::read)
                .filter(e -> e.kind() == EventKind.EVENTS_LOST).toList();
        assertThat(lost).extracting(Event::detail).containsExactly(new LossDetail("kernel-malformed", 1),
                new LossDetail("kernel-ringbuf", 42));
    }
}
