package dev.tether.learn;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tether.events.Event;
import dev.tether.events.EventFormatException;
import dev.tether.events.EventJson;
import dev.tether.events.EventKind;
import dev.tether.events.Verdict;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Events from files of JSON lines in the documented form (docs/events.md), as
 * {@code tether run --events FILE} and {@code tether log --export jsonl} write them. The files are
 * read whole at {@link #read}: a line that is not an event stops the read with its file and line,
 * so a replay never passes on part of a recording. The walking skeleton's own exec lines (the
 * object with {@code filename} and no {@code layer}) are not events: they are counted and skipped,
 * the fanotify gate's {@code ProcessExec} decisions cover the same execs.
 */
public final class EventsFile implements RecordedEvents {
    private final InMemoryEvents events;
    /** The id of each event, by its position in {@link #events}. */
    private final long[] ids;
    private final String description;
    private final long skippedExecLines;

    private EventsFile(List<Event> events, long[] ids, String description, long skippedExecLines) {
        this.events = new InMemoryEvents(events, description);
        this.ids = ids;
        this.description = description;
        this.skippedExecLines = skippedExecLines;
    }

    /** Reads every file; ids are {@code fileIndex << 40 | lineNumber}. */
    public static EventsFile read(List<Path> files) {
        EventJson json = new EventJson();
        List<Event> all = new ArrayList<>();
        List<Long> ids = new ArrayList<>();
        long skipped = 0;
        for (int f = 0; f < files.size(); f++) {
            Path file = files.get(f);
            var decoder = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT);
            try (BufferedReader in = new BufferedReader(new java.io.InputStreamReader(Files.newInputStream(file), decoder))) {
                long lineNo = 0;
                for (String line = in.readLine(); line != null; line = in.readLine()) {
                    lineNo++;
                    if (line.isBlank()) {
                        continue;
                    }
                    try {
                        all.add(json.read(line));
                        ids.add(((long) f << 40) | lineNo);
                    } catch (EventFormatException e) {
                        if (isSkeletonExecLine(json, line)) {
                            skipped++;
                            continue;
                        }
                        throw new RecordedEventsException(file + ":" + lineNo + ": not an event: " + e.getMessage());
                    }
                }
            } catch (CharacterCodingException e) {
                throw new RecordedEventsException(file + ": not UTF-8 text (" + e.getMessage() + ")", e);
            } catch (IOException e) {
                throw new RecordedEventsException("cannot read " + file + ": " + e.getMessage(), e);
            }
        }
        String what = files.size() == 1 ? files.getFirst().toString() : files.size() + " events files";
        return new EventsFile(all, ids.stream().mapToLong(Long::longValue).toArray(), what, skipped);
    }

    private static boolean isSkeletonExecLine(EventJson json, String line) {
        try {
            JsonNode n = json.mapper().readTree(line);
            return n != null && n.isObject() && n.has("filename") && !n.has("layer")
                    && "ProcessExec".equals(n.path("action").asText());
        } catch (IOException e) {
            return false;
        }
    }

    /** Walking-skeleton exec lines that were skipped. */
    public long skippedExecLines() {
        return skippedExecLines;
    }

    @Override
    public List<RecordedSession> sessions() {
        return events.sessions();
    }

    @Override
    public void forEach(EventSelection selection, Set<EventKind> kinds, Set<Verdict> decisions, Sink sink) {
        events.forEach(selection, kinds, decisions, (position, e) -> sink.accept(ids[(int) position - 1], e));
    }

    @Override
    public String describe() {
        return description;
    }
}
