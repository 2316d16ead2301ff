package dev.tether.learn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tether.events.Event;
import dev.tether.events.EventJson;
import dev.tether.events.EventKind;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EventsFileTest {
    @TempDir Path dir;
    final EventJson json = new EventJson();

    @Test
    void readsEventLinesAndSkipsTheSkeletonsExecLines() throws Exception {
        TestEvents t = new TestEvents("s1", "sh");
        Path f = dir.resolve("events.jsonl");
        Files.writeString(f, json.write(t.read("/etc/hosts")) + "\n"
                + "{\"time\":\"2026-11-27T05:29:51.261761091Z\",\"time_ns\":1795757391261761091,\"session\":\"s1\",\"action\":\"ProcessExec\","
                + "\"pid\":1,\"filename\":\"/usr/bin/sh\",\"argv\":[\"sh\"]}\n"
                + "\n"
                + json.write(t.exec("/usr/bin/sh", "sh")) + "\n");
        EventsFile events = EventsFile.read(List.of(f));
        assertThat(events.skippedExecLines()).isEqualTo(1);
        List<Long> ids = new ArrayList<>();
        List<EventKind> kinds = new ArrayList<>();
        events.forEach(EventSelection.all(), Set.of(), Set.of(), (id, e) -> {
            ids.add(id);
            kinds.add(e.kind());
        });
        assertThat(ids).containsExactly(1L, 4L);
        assertThat(kinds).containsExactly(EventKind.FILE_OPEN_READ_ONLY, EventKind.PROCESS_EXEC);
        assertThat(events.sessions()).singleElement().satisfies(s -> {
            assertThat(s.id()).isEqualTo("s1");
            assertThat(s.agent()).isEqualTo("sh");
            assertThat(s.events()).isEqualTo(2);
        });
    }

    @Test
    void aLineThatIsNotAnEventStopsTheReadWithItsLocation() throws Exception {
        Path f = dir.resolve("bad.jsonl");
        Event ok = new TestEvents("s1", "sh").read("/a");
        Files.writeString(f, json.write(ok) + "\n{\"time\":\"yesterday\",\"action\":\"FileOpen\",\"layer\":\"fanotify\"}\n");
        assertThatThrownBy(() -> EventsFile.read(List.of(f))).isInstanceOf(RecordedEventsException.class)
                .hasMessageStartingWith(f + ":2: not an event");
        Files.write(f, new byte[] {'{', (byte) 0xff, '}', '\n'});
        assertThatThrownBy(() -> EventsFile.read(List.of(f))).hasMessageContaining("not UTF-8");
        assertThatThrownBy(() -> EventsFile.read(List.of(dir.resolve("missing.jsonl")))).hasMessageContaining("cannot read");
    }

    @Test
    void idsTellFilesApart() throws Exception {
        Path a = dir.resolve("a.jsonl");
        Path b = dir.resolve("b.jsonl");
        Files.writeString(a, json.write(new TestEvents("s1", "sh").read("/a")) + "\n");
        Files.writeString(b, json.write(new TestEvents("s2", "sh").read("/b")) + "\n");
        List<Long> ids = new ArrayList<>();
        EventsFile.read(List.of(a, b)).forEach(EventSelection.sessions(List.of("s2")), Set.of(), Set.of(), (id, e) -> ids.add(id));
        assertThat(ids).containsExactly((1L << 40) | 1);
    }
}
