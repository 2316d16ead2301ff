package dev.tether.fuzz.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.tether.proxy.mcp.SseEventSplitter;
import dev.tether.proxy.mcp.SseEventSplitter.SseEvent;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * {@code text/event-stream} framing as the MCP observer splits it ({@link SseEventSplitter}): the
 * same events whatever the chunking of the stream (TCP decides it, not the sender); every byte
 * accounted for (events plus stray blank lines plus the unfinished rest are the stream); the data
 * the proxy inspects is exactly the data a client following the WHATWG parsing rules receives
 * (else a message could reach the agent uninspected); an event
 * over the size limit is refused with the documented {@link IllegalStateException}; and an event
 * the proxy rewrites ({@link SseEvent#withData}) reads back with the data it was given.
 *
 * <p>Input: byte 0 and 1 seed the chunk sizes, the rest is the stream.
 */
class SseFramingFuzzTest {
    private static final int LIMIT = 4096;

    @FuzzTest
    void sseFraming(byte[] input) {
        if (input.length < 2) {
            return;
        }
        byte[] stream = Arrays.copyOfRange(input, 2, input.length);
        Result whole = split(stream, new int[] {Math.max(1, stream.length)});
        int[] chunks = {1 + (input[0] & 0x3f), 1 + (input[1] & 0x7)};
        Result chunked = split(stream, chunks);
        if (whole.tooLarge) {
            // the limit is checked after every chunk: smaller chunks can only be checked more often
            assertThat(chunked.tooLarge).isTrue();
            return;
        }
        if (chunked.tooLarge) {
            return;
        }
        assertThat(chunked.events.size()).isEqualTo(whole.events.size());
        ByteArrayOutputStream seen = new ByteArrayOutputStream();
        for (int i = 0; i < whole.events.size(); i++) {
            SseEvent a = whole.events.get(i);
            SseEvent b = chunked.events.get(i);
            assertThat(b.raw()).isEqualTo(a.raw());
            assertThat(b.data()).isEqualTo(a.data());
            assertThat(b.event()).isEqualTo(a.event());
            assertThat(b.id()).isEqualTo(a.id());
            seen.writeBytes(a.raw());
            rewriteKeepsData(a);
        }
        assertThat(chunked.pending).isEqualTo(whole.pending);
        List<String> proxySees = whole.events.stream().map(SseEvent::data).filter(d -> d != null).toList();
        assertThat(proxySees).as("data the proxy inspects vs data a client (WHATWG parser) receives")
                .isEqualTo(SpecSseParser.dataOf(stream));
        // what is left out between events can only be blank-line bytes
        assertThat(seen.size() + whole.pending.length).isLessThanOrEqualTo(stream.length);
    }

    /** The proxy writes data it produced itself (JSON: no raw CR or LF); it must read back unchanged. */
    private static void rewriteKeepsData(SseEvent e) {
        if (e.data() == null || e.data().indexOf('\r') >= 0 || (e.id() != null && (e.id().indexOf('\r') >= 0 || e.id().indexOf('\n') >= 0))
                || (e.event() != null && (e.event().indexOf('\r') >= 0 || e.event().indexOf('\n') >= 0))) {
            return;
        }
        byte[] rewritten = e.withData(e.data());
        Result again = split(rewritten, new int[] {rewritten.length});
        assertThat(again.events).hasSize(1);
        SseEvent r = again.events.getFirst();
        assertThat(r.data()).isEqualTo(e.data());
        assertThat(r.id()).isEqualTo(e.id());
        assertThat(r.event()).isEqualTo(e.event());
    }

    private record Result(List<SseEvent> events, byte[] pending, boolean tooLarge) {}

    private static Result split(byte[] stream, int[] chunkSizes) {
        SseEventSplitter s = new SseEventSplitter(LIMIT);
        List<SseEvent> events = new ArrayList<>();
        int off = 0;
        int k = 0;
        try {
            while (off < stream.length) {
                int n = Math.min(chunkSizes[k++ % chunkSizes.length], stream.length - off);
                events.addAll(s.feed(stream, off, n));
                off += n;
            }
        } catch (IllegalStateException tooLarge) {
            assertThat(tooLarge.getMessage()).contains("larger than");
            return new Result(events, new byte[0], true);
        }
        assertThat(s.pendingBytes()).isLessThanOrEqualTo(LIMIT);
        return new Result(events, s.takePending(), false);
    }
}
