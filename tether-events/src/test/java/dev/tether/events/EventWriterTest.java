package dev.tether.events;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The hand-written encoder against Jackson, on random text that stresses escaping. */
class EventWriterTest {
    private final ObjectMapper jackson = new ObjectMapper();
    private final EventJson json = new EventJson();

    private static String randomText(Random r, boolean loneSurrogates) {
        int n = r.nextInt(24);
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < n; i++) {
            switch (r.nextInt(8)) {
                case 0 -> b.append((char) r.nextInt(0x20)); // controls
                case 1 -> b.append("\"\\/\u007f".charAt(r.nextInt(4)));
                case 2 -> b.append((char) (0x80 + r.nextInt(0x780))); // 2-byte
                case 3 -> b.append((char) (0x800 + r.nextInt(0xd000))); // 3-byte, below surrogates
                case 4 -> b.appendCodePoint(0x10000 + r.nextInt(0x100000)); // pairs
                case 5 -> {
                    if (loneSurrogates) {
                        b.append((char) (0xd800 + r.nextInt(0x800)));
                    } else {
                        b.append('x');
                    }
                }
                default -> b.append((char) (0x20 + r.nextInt(0x5f)));
            }
        }
        return b.toString();
    }

    private static Event randomEvent(Random r, boolean lone) {
        List<String> argv = new ArrayList<>();
        for (int i = r.nextInt(4); i > 0; i--) {
            argv.add(randomText(r, lone));
        }
        return Event.builder(EventKind.PROCESS_EXEC).timeNs(r.nextLong() >>> 2).session(randomText(r, lone))
                .principal(randomText(r, lone)).resource(randomText(r, lone)).comm(randomText(r, lone)).exe(randomText(r, lone))
                .decision(Verdict.DENY, List.of(randomText(r, lone)), randomText(r, lone)).errno(r.nextInt(200))
                .process(r.nextInt(), r.nextInt(), r.nextInt()).cgroupId(r.nextLong())
                .detail(new ExecDetail(argv, argv.size(), randomText(r, lone), r.nextInt())).build();
    }

    @Test
    void bytesAreWhatJacksonWritesForValidText() throws Exception {
        Random r = new Random(42);
        for (int i = 0; i < 3000; i++) {
            Event e = randomEvent(r, false);
            byte[] mine = json.writeBytes(e);
            JsonNode tree = jackson.readTree(mine);
            assertThat(new String(mine, StandardCharsets.UTF_8)).isEqualTo(jackson.writeValueAsString(tree));
            assertThat(json.read(mine)).isEqualTo(e);
        }
    }

    @Test
    void loneSurrogatesRoundTripAsEscapes() {
        Random r = new Random(7);
        for (int i = 0; i < 3000; i++) {
            Event e = randomEvent(r, true);
            assertThat(json.read(json.writeBytes(e))).isEqualTo(e);
        }
        Event e = Event.builder(EventKind.FILE_OPEN).timeNs(1).resource("a\ud800b\udc00").build();
        assertThat(json.write(e)).contains("\"resource\":\"a\\uD800b\\uDC00\"");
    }

    @Test
    void timesAcrossDaysYearsAndTheEpochMatchFormatTime() {
        EventWriter w = new EventWriter();
        long[] times = {0, -1, 1, 86_399_999_999_999L, 86_400_000_000_000L, 1_764_215_067_123_456_789L,
            1_764_288_000_000_000_000L, Long.MAX_VALUE, Long.MIN_VALUE};
        for (long t : times) {
            w.reset();
            w.write(Event.builder(EventKind.FILE_OPEN).timeNs(t).build());
            String s = new String(w.toByteArray(), StandardCharsets.UTF_8);
            assertThat(s).as("t=" + t).startsWith("{\"time\":\"" + EventJson.formatTime(t) + "\"");
        }
    }

    @Test
    void aReusedWriterWritesJsonLines() throws Exception {
        EventWriter w = new EventWriter(64);
        List<Event> events = EventJsonTest.oneOfEachKind();
        for (int i = 0; i < events.size(); i++) {
            if (i > 0) {
                w.newline();
            }
            w.write(events.get(i));
        }
        String[] lines = new String(w.toByteArray(), StandardCharsets.UTF_8).split("\n");
        assertThat(lines).hasSize(events.size());
        for (int i = 0; i < lines.length; i++) {
            assertThat(json.read(lines[i])).isEqualTo(events.get(i));
        }
    }
}
