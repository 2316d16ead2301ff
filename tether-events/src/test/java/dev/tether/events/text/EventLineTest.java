package dev.tether.events.text;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.events.Event;
import dev.tether.events.EventJsonTest;
import dev.tether.events.EventKind;
import dev.tether.events.Events;
import dev.tether.events.Verdict;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

class EventLineTest {
    private final EventLine line = new EventLine(ZoneOffset.UTC);

    @Test
    void everyKindRendersOnOneLine() {
        for (Event e : EventJsonTest.oneOfEachKind()) {
            String s = line.format(e);
            assertThat(s).as(e.kind().jsonName()).doesNotContain("\n").contains(e.kind().jsonName());
        }
    }

    @Test
    void aDeniedOpen() {
        assertThat(line.format(Events.open("s1", 1_764_215_067_123_456_789L, "/w/.env", Verdict.DENY)))
                .isEqualTo("2025-11-27 03:44:27.123 s1 deny       FileOpenReadOnly /w/.env  cat[100] EACCES [policy3]");
    }

    @Test
    void controlsAndBidiOverridesAreEscaped() {
        assertThat(EventLine.escape("a\nb\tc\u001b[31m\u202edcba\u0085")).isEqualTo("a\\nb\\tc\\x1b[31m\\u202edcba\\u0085");
        assertThat(EventLine.escape("caf\u00e9 \u65e5\u672c")).isEqualTo("caf\u00e9 \u65e5\u672c");
        Event e = Event.builder(EventKind.PROCESS_EXEC).timeNs(1).resource("/bin/sh")
                .detail(new dev.tether.events.ExecDetail(java.util.List.of("sh", "-c", "echo \"x\"\nrm -rf /"))).build();
        assertThat(line.format(e)).contains("argv: sh -c \"echo \\\"x\\\"\\nrm -rf /\"");
    }
}
