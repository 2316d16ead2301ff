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
import dev.tether.events.SessionDetail;
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
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * What {@code tether run} shows of a session's events. Every kernel record becomes an audit
 * {@link Event} ({@link KernelEventMapper}) and goes onto an {@link EventBus}; the JSON lines file
 * ({@code --events}) gets all of them, the console only what a person follows live (execs,
 * connects, denials, loss), and the end of the session prints counts by kind.
 *
 * <p>{@link #accept} runs on the kernel consumer thread and never blocks: the bus drops, counted,
 * from a subscriber that falls behind, and those drops are reported as lost.
 */
public final class SessionEventOutput implements AutoCloseable {
    private static final int FILE_QUEUE = 1 << 17;
    private static final int CONSOLE_QUEUE = 4096;
    private static final int DENIALS_LISTED = 20;

    private final String sessionId;
    private final String principal;
    private final List<String> command;
    private final long startNs;
    private final KernelEventMapper mapper;
    private final EventBus bus = new EventBus();
    private final EventJson json = new EventJson();
    private final BufferedWriter file;
    private final Subscription fileSubscription;
    private final Subscription consoleSubscription;
    private final PrintWriter console;
    // Counted on the publishing side so they are exact whatever the subscribers drop.
    private final Map<EventKind, long[]> counts = new EnumMap<>(EventKind.class);
    private final Object countLock = new Object();
    private final List<Event> denials = new ArrayList<>();
    private long moreDenials;
    private long observed;
    private long malformed;
    private volatile IOException fileError;

    /** @param principal the session's agent ({@code Agent::"<principal>"}), or null */
    public SessionEventOutput(String sessionId, String principal, List<String> command, Path eventsFile,
                              PrintWriter console) {
        this.sessionId = sessionId;
        this.principal = principal;
        this.command = List.copyOf(command);
        this.startNs = Event.nowNs();
        this.console = console;
        KernelEventMapper.Attribution who = new KernelEventMapper.Attribution(sessionId, principal);
        this.mapper = new KernelEventMapper(slot -> who);
        try {
            this.file = eventsFile == null ? null : Files.newBufferedWriter(eventsFile, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write events to " + eventsFile, e);
        }
        this.fileSubscription = file == null ? null
                : bus.subscribeBatches("events-file", FILE_QUEUE, 4096, this::writeLines);
        this.consoleSubscription = console == null ? null
                : bus.subscribe("console", CONSOLE_QUEUE, this::printLine);
    }

    /** The session's first event; {@code mode} is null when nothing is enforced. */
    public void sessionStarted(String sandbox, String mode) {
        publish(Event.builder(EventKind.SESSION_START).timeNs(startNs).session(sessionId).principal(principal)
                .detail(SessionDetail.start(command, mode, sandbox)).build());
    }

    /** An event from another layer (an enforcement decision); any thread. */
    public void accept(Event e) {
        publish(e);
    }

    /** A kernel record, on the consumer thread. */
    public void accept(KernelEvent kernelEvent) {
        Event e = mapper.map(kernelEvent);
        if (e.kind() == EventKind.EVENTS_LOST && e.detail() instanceof LossDetail l
                && KernelEventMapper.LOSS_MALFORMED.equals(l.source())) {
            synchronized (countLock) {
                malformed++;
            }
        }
        publish(e);
    }

    private void publish(Event e) {
        synchronized (countLock) {
            observed++;
            counts.computeIfAbsent(e.kind(), k -> new long[Verdict.values().length])[e.decision().ordinal()]++;
            if (e.decision() == Verdict.DENY || e.decision() == Verdict.WOULD_DENY) {
                if (denials.size() < DENIALS_LISTED) {
                    denials.add(e);
                } else {
                    moreDenials++;
                }
            }
        }
        bus.publish(e);
    }

    /**
     * Ends the session: records the kernel's measured loss and the end, delivers what the
     * subscribers still hold, and returns the summary.
     *
     * @param kernelLost records the kernel could not put in the ring, plus program runs it skipped
     */
    public SessionSummary finish(int exitCode, long kernelLost) {
        publish(KernelEventMapper.ringBufferLoss(new KernelEventMapper.Attribution(sessionId, principal), kernelLost));
        long endNs = Event.nowNs();
        publish(Event.builder(EventKind.SESSION_END).timeNs(endNs).session(sessionId).principal(principal)
                .detail(SessionDetail.end(exitCode)).build());
        drain();
        long fileDrops = fileSubscription == null ? 0 : fileSubscription.dropped();
        long consoleDrops = consoleSubscription == null ? 0 : consoleSubscription.dropped();
        List<ActionCount> table = new ArrayList<>();
        List<Event> denied;
        long notListed;
        long total;
        synchronized (countLock) {
            denied = List.copyOf(denials);
            notListed = moreDenials;
            counts.forEach((kind, byVerdict) -> {
                for (Verdict v : Verdict.values()) {
                    if (byVerdict[v.ordinal()] > 0) {
                        table.add(new ActionCount(kind, v, byVerdict[v.ordinal()]));
                    }
                }
            });
            total = observed;
        }
        // Lost: never reached Java (kernel), arrived unreadable, or not written to the record.
        long lost = kernelLost + malformed + fileDrops + (fileError != null ? 1 : 0);
        if (consoleDrops > 0 && console != null) {
            console.println("tether: the console skipped " + consoleDrops + " event lines (all are in the events file)");
        }
        return new SessionSummary(sessionId, principal, command, startNs, endNs, exitCode,
                fileSubscription == null ? total : fileSubscription.delivered(), table, denied, notListed,
                EventsLost.measured(lost));
    }

    private void drain() {
        try {
            for (Subscription s : bus.subscriptions()) {
                s.awaitDelivered(Duration.ofSeconds(30));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ---- subscribers (each on its own bus thread) ------------------------------------------

    private void writeLines(List<Event> batch) {
        if (fileError != null) {
            return;
        }
        try {
            for (Event e : batch) {
                file.write(json.write(e));
                file.newLine();
            }
        } catch (IOException e) {
            fileError = e;
        }
    }

    private void printLine(Event e) {
        String line = consoleLine(e);
        if (line != null) {
            console.println(line);
        }
    }

    /** The console's line for an event, or null when the console skips it (file opens and the like). */
    static String consoleLine(Event e) {
        if (e.decision() == Verdict.DENY || e.decision() == Verdict.WOULD_DENY) {
            return "tether: " + (e.decision() == Verdict.DENY ? "DENIED " : "would deny ")
                    + new EventLine(java.time.ZoneId.systemDefault()).format(e);
        }
        return switch (e.kind()) {
            case PROCESS_EXEC -> "tether: exec " + EventLine.escape(e.resource() == null ? "?" : e.resource()) + " "
                    + (e.detail() instanceof ExecDetail x ? quoteArgv(x.argv()) : "")
                    + "  (pid " + e.pid() + ", parent " + e.ppid() + ")";
            case NETWORK_CONNECT -> "tether: connect " + EventLine.escape(String.valueOf(e.resource()))
                    + (e.detail() instanceof NetworkDetail n && n.protocol() != null ? " " + n.protocol().jsonName() : "")
                    + (e.errno() != null && e.errno() != 0 ? " failed " + Errno.name(e.errno()) : "")
                    + "  (" + EventLine.escape(String.valueOf(e.comm())) + ", pid " + e.pid() + ")";
            case EVENTS_LOST -> e.detail() instanceof LossDetail l && l.count() > 0 && e.layer() == EventLayer.KERNEL
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

    /** Stops the subscribers and closes the file (after {@link #finish}, or on an error path). */
    @Override
    public void close() {
        bus.close();
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
