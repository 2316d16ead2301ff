package dev.tether.events.export;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tether.events.Event;
import dev.tether.events.EventJson;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;

/**
 * Writes events to a stream as JSON lines, in tether's schema or as OCSF. Not thread-safe: one
 * writer (an export, or a bus subscription's thread).
 */
public final class EventExporter implements AutoCloseable {
    private final ExportFormat format;
    private final OcsfMapper ocsf;
    private final ObjectMapper mapper;
    private final OutputStream out;
    private long written;

    private EventExporter(ExportFormat format, OutputStream stream, String hostname) {
        this.format = format;
        EventJson json = new EventJson();
        this.mapper = json.mapper();
        this.ocsf = format == ExportFormat.OCSF ? new OcsfMapper(mapper, hostname) : null;
        this.out = stream;
    }

    /**
     * @param stream the destination; left open on {@link #close()} (the caller owns it)
     * @param hostname the host the events came from (OCSF's {@code device.hostname})
     */
    public static EventExporter open(ExportFormat format, OutputStream stream, String hostname) {
        return new EventExporter(format, stream, hostname);
    }

    public void write(Event e) {
        try {
            out.write(format == ExportFormat.OCSF ? mapper.writeValueAsBytes(ocsf.map(e)) : mapper.writeValueAsBytes(e));
            out.write('\n');
            written++;
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    public long written() {
        return written;
    }

    /** Flushes; the stream stays open. */
    @Override
    public void close() {
        try {
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
