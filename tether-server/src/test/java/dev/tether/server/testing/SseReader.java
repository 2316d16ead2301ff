package dev.tether.server.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;

/** Reads Server-Sent Event frames from a (de-chunked) response body (the control plane's live stream). */
public final class SseReader implements AutoCloseable {
    public record Frame(String event, String data) {}

    private final BufferedReader in;

    public SseReader(InputStream body) {
        this.in = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8), 1 << 16);
    }

    /** The next frame, or null at end of stream. */
    public Frame next() throws IOException {
        String event = null;
        StringBuilder data = new StringBuilder();
        String line;
        while ((line = in.readLine()) != null) {
            if (line.isEmpty()) {
                if (event != null || data.length() > 0) {
                    return new Frame(event, data.toString());
                }
                continue;
            }
            if (line.startsWith("event: ")) {
                event = line.substring(7);
            } else if (line.startsWith("data: ")) {
                data.append(line.substring(6));
            }
        }
        return null;
    }

    /** Skips frames until one named {@code event} arrives. */
    public Frame until(String event) throws IOException {
        Frame f;
        while ((f = next()) != null) {
            if (event.equals(f.event())) {
                return f;
            }
        }
        throw new IOException("stream ended before a '" + event + "' frame");
    }

    @Override
    public void close() throws IOException {
        in.close();
    }
}
