package dev.tether.cli.session;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tether.kernel.event.ExecEvent;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

/**
 * The walking skeleton's event output: one JSON object per line to a file, and one human line per
 * event to the console. Called on the kernel consumer thread only.
 */
public final class ExecEventLog implements AutoCloseable {
    private final ObjectMapper json = new ObjectMapper();
    private final String sessionId;
    private final BufferedWriter file;
    private final PrintWriter console;

    public ExecEventLog(String sessionId, Path eventsFile, PrintWriter console) {
        this.sessionId = sessionId;
        this.console = console;
        try {
            this.file = eventsFile == null ? null : Files.newBufferedWriter(eventsFile, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write events to " + eventsFile, e);
        }
    }

    public synchronized void accept(ExecEvent e) {
        if (file != null) {
            try {
                file.write(json.writeValueAsString(toJson(e)));
                file.newLine();
            } catch (IOException ex) {
                throw new UncheckedIOException(ex);
            }
        }
        if (console != null) {
            console.println("tether: exec " + dev.tether.events.text.EventLine.escape(e.filename()) + " " + quoteArgv(e.argv())
                    + "  (pid " + e.header().pid() + ", parent " + e.header().ppid() + ")");
        }
    }

    /** A decision event from an enforcing layer: a JSON line; a console line for what was refused. */
    public synchronized void accept(dev.tether.events.Event e) {
        if (file != null) {
            try {
                file.write(json.writeValueAsString(e));
                file.newLine();
            } catch (IOException ex) {
                throw new UncheckedIOException(ex);
            }
        }
        // The console shows what was refused (or would be, in shadow mode); everything is in the
        // file and the audit store. Text from the sandbox is escaped: no terminal escapes get through.
        if (console != null && (e.decision() == dev.tether.events.Verdict.DENY
                || e.decision() == dev.tether.events.Verdict.WOULD_DENY)) {
            console.println("tether: " + e.decision().jsonName().toUpperCase(java.util.Locale.ROOT) + " "
                    + e.kind().jsonName() + " " + dev.tether.events.text.EventLine.escape(String.valueOf(e.resource()))
                    + "  (pid " + e.pid() + ", " + dev.tether.events.text.EventLine.escape(String.valueOf(e.reason())) + ")");
        }
    }

    ObjectNode toJson(ExecEvent e) {
        long ns = e.header().wallTimeNs();
        ObjectNode o = json.createObjectNode();
        o.put("time", Instant.ofEpochSecond(ns / 1_000_000_000L, ns % 1_000_000_000L).toString());
        o.put("time_ns", ns);
        o.put("session", sessionId);
        o.put("action", "ProcessExec");
        o.put("pid", e.header().pid());
        o.put("ppid", e.header().ppid());
        o.put("tid", e.header().tid());
        o.put("uid", e.header().uid());
        o.put("comm", e.header().comm());
        o.put("cgroup_id", e.header().cgroupId());
        o.put("filename", e.filename());
        var argv = o.putArray("argv");
        e.argv().forEach(argv::add);
        if (e.filenameTruncated()) {
            o.put("filename_truncated", true);
        }
        if (e.argsTruncated()) {
            o.put("argv_truncated", true);
        }
        return o;
    }

    /** argv as a shell would need it typed, with control characters made visible. */
    static String quoteArgv(List<String> argv) {
        StringBuilder b = new StringBuilder();
        for (String a : argv) {
            if (!b.isEmpty()) {
                b.append(' ');
            }
            String visible = dev.tether.events.text.EventLine.escape(a);
            if (!visible.isEmpty() && visible.chars().allMatch(c -> Character.isLetterOrDigit(c) || "-_./=:,+@%".indexOf(c) >= 0)) {
                b.append(visible);
            } else {
                b.append('\'').append(visible.replace("'", "'\\''")).append('\'');
            }
        }
        return b.toString();
    }

    @Override
    public void close() {
        if (file != null) {
            try {
                file.close();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
