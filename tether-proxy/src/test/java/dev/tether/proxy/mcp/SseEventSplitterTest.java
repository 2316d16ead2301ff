package dev.tether.proxy.mcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SseEventSplitterTest {
    static List<SseEventSplitter.SseEvent> feedBytewise(SseEventSplitter s, String text) {
        List<SseEventSplitter.SseEvent> out = new ArrayList<>();
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < b.length; i++) out.addAll(s.feed(b, i, 1));
        return out;
    }

    @Test
    void splitsEventsWhateverTheChunkingAndLineEnds() {
        String stream = ": comment\r\n\r\nevent: message\r\ndata: {\"a\":1}\r\n\r\nid: 7\rdata: x\rdata: y\r\rdata: last\n\n";
        List<SseEventSplitter.SseEvent> ev = feedBytewise(new SseEventSplitter(1 << 20), stream);
        assertThat(ev).hasSize(4);
        assertThat(ev.get(1).event()).isEqualTo("message");
        assertThat(ev.get(1).data()).isEqualTo("{\"a\":1}");
        assertThat(ev.get(2).data()).isEqualTo("x\ny");
        assertThat(ev.get(2).id()).isEqualTo("7");
        assertThat(ev.get(3).data()).isEqualTo("last");
        // raw bytes of all events reproduce the stream exactly
        StringBuilder raw = new StringBuilder();
        for (var e : ev) raw.append(new String(e.raw(), StandardCharsets.UTF_8));
        assertThat(raw.toString()).isEqualTo(stream);
    }

    @Test
    void keepsATruncatedEventPendingAndRefusesHugeOnes() {
        SseEventSplitter s = new SseEventSplitter(100);
        byte[] b = "data: whole\n\ndata: cut".getBytes(StandardCharsets.UTF_8);
        assertThat(s.feed(b, 0, b.length)).hasSize(1);
        assertThat(s.pendingBytes()).isEqualTo(9);
        byte[] big = ("data: " + "x".repeat(200)).getBytes(StandardCharsets.UTF_8);
        assertThatThrownBy(() -> new SseEventSplitter(100).feed(big, 0, big.length)).hasMessageContaining("larger than 100");
    }

    @Test
    void rewritingKeepsIdAndEventName() {
        byte[] b = "id: 3\nevent: message\ndata: {}\n\n".getBytes(StandardCharsets.UTF_8);
        var e = new SseEventSplitter(1000).feed(b, 0, b.length).getFirst();
        assertThat(new String(e.withData("{\"b\":2}"), StandardCharsets.UTF_8)).isEqualTo("id: 3\nevent: message\ndata: {\"b\":2}\n\n");
    }

    /**
     * Found by SseFramingFuzzTest (tether-fuzz): a stream starting with a UTF-8 BOM hid its first
     * event's data from the proxy, while clients (which ignore one leading BOM) received it.
     */
    @Test
    void aLeadingBomIsIgnoredAsClientsIgnoreIt() {
        byte[] bom = {(byte) 0xef, (byte) 0xbb, (byte) 0xbf};
        byte[] rest = "data: {\"id\":7}\n\n".getBytes(StandardCharsets.UTF_8);
        byte[] stream = new byte[bom.length + rest.length];
        System.arraycopy(bom, 0, stream, 0, 3);
        System.arraycopy(rest, 0, stream, 3, rest.length);
        for (int chunk = 1; chunk <= stream.length; chunk++) {
            SseEventSplitter s = new SseEventSplitter(1024);
            List<SseEventSplitter.SseEvent> events = new ArrayList<>();
            for (int off = 0; off < stream.length; off += chunk) {
                events.addAll(s.feed(stream, off, Math.min(chunk, stream.length - off)));
            }
            assertThat(events).hasSize(1);
            assertThat(events.getFirst().data()).isEqualTo("{\"id\":7}");
            assertThat(events.getFirst().raw()).isEqualTo(stream);
        }
        // only at the very start: later, U+FEFF is part of the field name, for clients too
        SseEventSplitter s = new SseEventSplitter(1024);
        byte[] later = "data: a\n\n\ufeffdata: b\n\n".getBytes(StandardCharsets.UTF_8);
        assertThat(s.feed(later, 0, later.length)).extracting(SseEventSplitter.SseEvent::data).containsExactly("a", null);
    }
}
