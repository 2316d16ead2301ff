package dev.tether.events.summary;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.events.ActionCount;
import dev.tether.events.Event;
import dev.tether.events.EventKind;
import dev.tether.events.Events;
import dev.tether.events.Verdict;
import dev.tether.events.text.EventLine;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;

class SessionSummaryFormatterTest {
    private final SessionSummaryFormatter f = new SessionSummaryFormatter(new EventLine(ZoneOffset.UTC));
    private static final long T = 1_764_215_067_000_000_000L;

    private static SessionSummary summary(List<Event> denials, long more, EventsLost lost) {
        return new SessionSummary("s-1", "claude", List.of("claude", "-p", "fix it"), T, T + 135_000_000_000L, 0, 1234,
                List.of(new ActionCount(EventKind.FILE_OPEN_READ_ONLY, Verdict.ALLOW, 1200),
                        new ActionCount(EventKind.FILE_OPEN_READ_ONLY, Verdict.DENY, 2),
                        new ActionCount(EventKind.PROCESS_EXEC, Verdict.ALLOW, 31),
                        new ActionCount(EventKind.PROCESS_EXEC, Verdict.WOULD_DENY, 1)),
                denials, more, lost);
    }

    @Test
    void printsCountsDenialsAndMeasuredLoss() {
        String out = f.format(summary(List.of(Events.open("s-1", T + 1_000_000, "/w/.env", Verdict.DENY)), 2,
                EventsLost.measured(0)));
        assertThat(out).isEqualTo("""
                session s-1 (claude) ended, exit code 0, after 2m 15s
                  command: claude -p fix it
                  1234 events recorded
                  action                 allow        deny  would-deny        none
                  FileOpenReadOnly        1200           2           0           0
                  ProcessExec               31           0           1           0
                  denials (3):
                    2025-11-27 03:44:27.001 s-1 deny       FileOpenReadOnly /w/.env  cat[100] EACCES [policy3]
                    ... and 2 more: tether log --session s-1 --decision deny
                  0 events lost
                """);
    }

    @Test
    void zeroLostIsOnlyClaimedWhenMeasured() {
        assertThat(SessionSummaryFormatter.lost(EventsLost.measured(0))).isEqualTo("0 events lost");
        assertThat(SessionSummaryFormatter.lost(EventsLost.measured(1))).isEqualTo("1 event lost");
        assertThat(SessionSummaryFormatter.lost(EventsLost.unmeasured(0))).isEqualTo("events lost: not measured");
        assertThat(SessionSummaryFormatter.lost(EventsLost.unmeasured(12)))
                .isEqualTo("at least 12 events lost (kernel loss not measured)");
        assertThat(f.format(summary(List.of(), 0, EventsLost.unmeasured(0)))).contains("no denials")
                .contains("events lost: not measured").doesNotContain("0 events lost");
    }

    @Test
    void textFromTheSandboxCannotForgeLines() {
        SessionSummary s = new SessionSummary("s-1", null, List.of("sh", "-c", "echo hi\n0 events lost"), T, null, null, 1,
                List.of(), List.of(), 0, EventsLost.unmeasured(0));
        String out = f.format(s);
        assertThat(out).contains("has not ended").contains("echo hi\\n0 events lost");
        assertThat(out.lines()).noneMatch(l -> l.strip().equals("0 events lost"));
    }
}
