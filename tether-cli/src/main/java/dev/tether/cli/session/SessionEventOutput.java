package dev.tether.cli.session;

import dev.tether.events.ActionCount;
import dev.tether.events.Event;
import dev.tether.events.EventBus;
import dev.tether.events.EventJson;
import dev.tether.events.EventKind;
import dev.tether.events.EventLayer;
import dev.tether.events.ExecDetail;
import dev.tether.events.LossDetail;
import dev.tether.events.NetworkDetail;
import dev.tether.events.Subscription;
import dev.tether.events.Verdict;
import dev.tether.events.summary.EventsLost;
import dev.tether.events.summary.SessionSummary;
import dev.tether.events.text.Errno;
import dev.tether.events.text.EventLine;
import dev.tether.kernel.event.KernelEvent;
import dev.tether.kernel.event.KernelEventMapper;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What {@code tether run} shows of a session's events, and the door kernel records come in by.
 * Every kernel record becomes an audit {@link Event} ({@link KernelEventMapper}) published on the
 * session's {@link EventBus}, where the other layers (enforcement, proxy) publish too. From the
 * bus, the JSON lines file ({@code --events}) gets every event and the console only what a person
 * follows live (execs, connects, denials, kernel loss); both are subscribers, so a slow terminal
 * never holds up the kernel consumer (the bus drops from it, counted).
 *
 * <p>{@link #accept(KernelEvent)} runs on the kernel consumer thread and never blocks.
 */
public final class SessionEventOutput implements AutoCloseable {
    private static final int FILE_QUEUE = 1 << 17;
    private static final int CONSOLE_QUEUE = 4096;
    private static final int COUNT_QUEUE = 1 << 17;
    private static final int DENIALS_LISTED = 20;

    private final String sessionId;
    private final String principal;
    private final List<String> command;
    private final long startNs = Event.nowNs();
    private final KernelEventMapper mapper;
    private final EventBus bus;
    private final EventJson json = new EventJson();
    private final PrintWriter console;
    private final BufferedWriter file;
    private final List<Subscription> subscriptions = new ArrayList<>();
    private final Subscription fileSubscription;
    private final Subscription countSubscription;
    private final AtomicLong malformed = new AtomicLong();
    private volatile IOException fileError;
    // Written by the counting subscriber's thread only; read after it is closed or drained.
    private final Map<EventKind, long[]> counts = new EnumMap<>(EventKind.class);
    private final List<Event> denials = new ArrayList<>();
    private long moreDenials;
    private long kernelLossReported;
    private volatile java.util.function.UnaryOperator<Event> explainer = java.util.function.UnaryOperator.identity();

    private SessionEventOutput(EventBus bus, String sessionId, String principal, List<String> command, Path eventsFile,
                               PrintWriter console) {
        this.bus = bus;
        this.sessionId = sessionId;
        this.principal = principal;
        this.command = List.copyOf(command);
        this.console = console;
        KernelEventMapper.Attribution who = new KernelEventMapper.Attribution(sessionId, principal);
        this.mapper = new KernelEventMapper(slot -> who);
        try {
            this.file = eventsFile == null ? null : Files.newBufferedWriter(eventsFile, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write events to " + eventsFile, e);
        }
        this.fileSubscription = file == null ? null : bus.subscribeBatches("events-file", FILE_QUEUE, 4096, this::writeLines);
        if (fileSubscription != null) {
            subscriptions.add(fileSubscription);
        }
        if (console != null) {
            subscriptions.add(bus.subscribe("console", CONSOLE_QUEUE, this::printLine));
        }
        this.countSubscription = bus.subscribeBatches("session-counts", COUNT_QUEUE, 4096,
                java.time.Duration.ofMillis(10), this::count);
        subscriptions.add(countSubscription);
    }

    /**
     * Subscribes the events file and the console to {@code bus}.
     *
     * @param principal the session's agent ({@code Agent::"<principal>"}), or null
     * @param eventsFile where every event goes as one JSON line, or null
     * @param console where the live lines go, or null for none
     */
    public static SessionEventOutput attach(EventBus bus, String sessionId, String principal, List<String> command,
                                            Path eventsFile, PrintWriter console) {
        return new SessionEventOutput(bus, sessionId, principal, command, eventsFile, console);
    }

    /**
     * What the session knows about a kernel record that the record alone does not say (see
     * {@link SessionEnforcement#explainReadOnlyRefusal}); applied on the consumer thread.
     */
    public void explainWith(java.util.function.UnaryOperator<Event> explainer) {
        this.explainer = explainer;
    }

    /** A kernel record, on the consumer thread: mapped, explained and published. */
    public void accept(KernelEvent kernelEvent) {
        Event e = explainer.apply(mapper.map(kernelEvent));
        if (e.detail() instanceof LossDetail l && KernelEventMapper.LOSS_MALFORMED.equals(l.source())) {
            malformed.incrementAndGet();
        }
        bus.publish(e);
    }

    /** Kernel records that could not be decoded (each also published as a 1-event loss). */
    public long malformed() {
        return malformed.get();
    }

    /** Events the bus dropped from the events file because its writer fell behind (missing from the file). */
    public long fileDrops() {
        return fileSubscription == null ? 0 : fileSubscription.dropped();
    }

    /** Waits until the file, the console and the counts have everything published so far. */
    public void drain() {
        try {
            for (Subscription s : subscriptions) {
                s.awaitDelivered(java.time.Duration.ofSeconds(30));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (file != null) {
            synchronized (file) {
                try {
                    file.flush();
                } catch (IOException e) {
                    fileError = e;
                }
            }
        }
    }

    /**
     * The session's summary from what this output saw (for when the audit store is unavailable):
     * call after the last event was published and {@link #drain()}ed.
     */
    public SessionSummary summary(int exitCode) {
        List<ActionCount> table = new ArrayList<>();
        synchronized (counts) {
            counts.forEach((kind, byVerdict) -> {
                for (Verdict v : Verdict.values()) {
                    if (byVerdict[v.ordinal()] > 0) {
                        table.add(new ActionCount(kind, v, byVerdict[v.ordinal()]));
                    }
                }
            });
            long recorded = table.stream().mapToLong(ActionCount::count).sum();
            long lost = kernelLossReported + countSubscription.dropped() + fileDrops();
            return new SessionSummary(sessionId, principal, command, startNs, Event.nowNs(), exitCode, recorded, table,
                    List.copyOf(denials), moreDenials, EventsLost.measured(lost));
        }
    }

    // ---- subscribers (each on its own bus thread) ------------------------------------------

    private void writeLines(List<Event> batch) {
        if (fileError != null) {
            return;
        }
        synchronized (file) {
            try {
                for (Event e : batch) {
                    file.write(json.write(e));
                    file.newLine();
                }
            } catch (IOException e) {
                fileError = e;
            }
        }
    }

    private void count(List<Event> batch) {
        synchronized (counts) {
            for (Event e : batch) {
                counts.computeIfAbsent(e.kind(), k -> new long[Verdict.values().length])[e.decision().ordinal()]++;
                if (e.decision() == Verdict.DENY || e.decision() == Verdict.WOULD_DENY) {
                    if (denials.size() < DENIALS_LISTED) {
                        denials.add(e);
                    } else {
                        moreDenials++;
                    }
                }
                if (e.detail() instanceof LossDetail l && e.session() != null && e.session().equals(sessionId)) {
                    kernelLossReported += l.count();
                }
            }
        }
    }

    private void printLine(Event e) {
        String line = consoleLine(e);
        if (line != null) {
            console.println(line);
        }
    }

    /**
     * The console's line for an event, or null when the console skips it: file opens and the
     * like, and an enforcing layer's allow decisions (the kernel monitor's record of the same exec
     * or connect already has its line).
     */
    static String consoleLine(Event e) {
        if (e.decision() == Verdict.DENY || e.decision() == Verdict.WOULD_DENY) {
            return "tether: " + (e.decision() == Verdict.DENY ? "DENIED " : "would deny ")
                    + new EventLine(java.time.ZoneId.systemDefault()).format(e);
        }
        if (e.layer() != EventLayer.KERNEL) {
            return null;
        }
        return switch (e.kind()) {
            case PROCESS_EXEC -> "tether: exec " + EventLine.escape(e.resource() == null ? "?" : e.resource()) + " "
                    + (e.detail() instanceof ExecDetail x ? quoteArgv(x.argv()) : "")
                    + "  (pid " + e.pid() + ", parent " + e.ppid() + ")";
            case NETWORK_CONNECT -> "tether: connect " + EventLine.escape(String.valueOf(e.resource()))
                    + (e.detail() instanceof NetworkDetail n && n.protocol() != null ? " " + n.protocol().jsonName() : "")
                    + (e.errno() != null && e.errno() != 0 ? " failed " + Errno.name(e.errno()) : "")
                    + "  (" + EventLine.escape(String.valueOf(e.comm())) + ", pid " + e.pid() + ")";
            case EVENTS_LOST -> e.detail() instanceof LossDetail l && l.count() > 0
                    ? "tether: " + l.count() + " kernel events lost (" + l.source() + ")" : null;
            default -> null;
        };
    }

    /** argv as a shell would need it typed, with control characters made visible. */
    static String quoteArgv(List<String> argv) {
        StringBuilder b = new StringBuilder();
        for (String a : argv) {
            if (!b.isEmpty()) {
                b.append(' ');
            }
            String visible = EventLine.escape(a);
            if (!visible.isEmpty() && visible.chars().allMatch(c -> Character.isLetterOrDigit(c) || "-_./=:,+@%".indexOf(c) >= 0)) {
                b.append(visible);
            } else {
                b.append('\'').append(visible.replace("'", "'\\''")).append('\'');
            }
        }
        return b.toString();
    }

    /** Delivers what the subscribers hold, unsubscribes them and closes the file. */
    @Override
    public void close() {
        for (Subscription s : subscriptions) {
            s.close();
        }
        if (file != null) {
            try {
                file.close();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        if (fileError != null) {
            throw new UncheckedIOException("writing the events file failed", fileError);
        }
    }
}
