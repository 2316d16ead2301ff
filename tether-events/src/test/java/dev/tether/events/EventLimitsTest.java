package dev.tether.events;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

class EventLimitsTest {
    @Test
    void aFourKilobytePathIsKeptWhole() {
        String path = "/" + "a".repeat(4095);
        Event e = Event.builder(EventKind.FILE_OPEN).resource(path).build();
        assertThat(e.resource()).isEqualTo(path);
        assertThat(e.flags()).isEmpty();
    }

    @Test
    void aLongerResourceIsCutAndFlagged() {
        String path = "/" + "\u00e9".repeat(3000);
        Event e = Event.builder(EventKind.FILE_OPEN).resource(path).build();
        assertThat(e.resource().getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(4096);
        assertThat(path).startsWith(e.resource());
        assertThat(e.flags()).containsExactly(EventFlag.RESOURCE_TRUNCATED);
    }

    @Test
    void cutNeverSplitsAnEscapeOrASurrogatePair() {
        assertThat(EventLimits.cut("ab\\xff", 5)).isEqualTo(new EventLimits.Cut("ab", true));
        assertThat(EventLimits.cut("ab\\\\c", 3)).isEqualTo(new EventLimits.Cut("ab", true));
        assertThat(EventLimits.cut("a\ud83d\ude00", 4)).isEqualTo(new EventLimits.Cut("a", true));
        assertThat(EventLimits.cut("abc", 3)).isEqualTo(new EventLimits.Cut("abc", false));
    }

    @Test
    void thousandsOfArgumentsAreCutAndFlaggedWithTheRealCount() {
        List<String> argv = new ArrayList<>(Collections.nCopies(5000, "--flag-value"));
        Event e = Event.builder(EventKind.PROCESS_EXEC).resource("/bin/x").detail(new ExecDetail(argv)).build();
        ExecDetail d = (ExecDetail) e.detail();
        assertThat(d.argc()).isEqualTo(5000);
        assertThat(d.argv().size()).isLessThan(5000).isGreaterThan(500);
        assertThat(String.join("\0", d.argv()).length()).isLessThanOrEqualTo(EventLimits.MAX_ARGV_BYTES);
        assertThat(e.flags()).containsExactly(EventFlag.ARGV_TRUNCATED);
    }

    @Test
    void kernelBytesSetEscapeAndTruncationFlags() {
        byte[] path = {'/', 'x', (byte) 0xff};
        Event e = Event.builder(EventKind.FILE_OPEN).resourceBytes(path, 0, 3, true).exeBytes(path, 0, 2, false)
                .commBytes(new byte[] {'c', 'a', 't', 0, 'z'}, 0, 5).build();
        assertThat(e.resource()).isEqualTo("/x\\xff");
        assertThat(e.exe()).isEqualTo("/x");
        assertThat(e.comm()).isEqualTo("cat");
        assertThat(e.flags()).containsExactlyInAnyOrder(EventFlag.RESOURCE_ESCAPED, EventFlag.RESOURCE_TRUNCATED);
    }

    @Test
    void longDetailTextIsFlagged() {
        Event e = Event.builder(EventKind.MCP_CALL).detail(new McpDetail("s", "stdio", "request", "tools/call", "t", "1",
                "{\"x\":\"" + "y".repeat(5000) + "\"}")).build();
        assertThat(((McpDetail) e.detail()).arguments()).hasSizeLessThanOrEqualTo(EventLimits.MAX_TEXT_BYTES);
        assertThat(e.flags()).containsExactly(EventFlag.DETAIL_TRUNCATED);
    }
}
