package dev.tether.cli.log;

import dev.tether.cli.UserError;
import dev.tether.events.EventJson;
import dev.tether.events.EventKind;
import dev.tether.events.Verdict;
import dev.tether.events.export.EventExporter;
import dev.tether.events.export.ExportFormat;
import dev.tether.events.store.AuditLocation;
import dev.tether.events.store.AuditQuery;
import dev.tether.events.store.AuditStore;
import dev.tether.events.store.AuditStoreException;
import dev.tether.events.store.SessionRecord;
import dev.tether.events.store.StoredEvent;
import dev.tether.events.summary.EventsLost;
import dev.tether.events.summary.SessionSummaryFormatter;
import dev.tether.events.text.EventLine;
import dev.tether.learn.TimeArguments;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code tether log}: reads the host's audit trail. One line per event for people, JSON lines with
 * {@code --json}, or a file with {@code --export jsonl|ocsf --out FILE}.
 */
@Command(name = "log", sortOptions = false, mixinStandardHelpOptions = true,
        description = {"Show what sandboxed agents did: the audit trail, oldest first.",
            "Filters combine; --action and --decision take several values separated by commas."})
public final class LogCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--session", paramLabel = "ID", description = "Only this session.")
    String session;

    @Option(names = "--action", paramLabel = "A", split = ",",
            description = "Only these actions, e.g. FileOpenReadOnly, ProcessExec, NetworkConnect (case-insensitive).")
    List<String> actions = List.of();

    @Option(names = "--decision", paramLabel = "D", split = ",", description = "Only these decisions: allow, deny, would-deny, none.")
    List<String> decisions = List.of();

    @Option(names = "--since", paramLabel = "WHEN",
            description = "Only events since WHEN: a duration ago (90s, 10m, 2h, 1h30m, 3d) or a time (2025-11-27T03:44:27Z, 2025-11-27 03:44).")
    String since;

    @Option(names = "--grep", paramLabel = "TEXT", description = "Only events whose JSON form contains TEXT (case-sensitive).")
    String grep;

    @Option(names = "--limit", paramLabel = "N", description = "Only the N most recent matching events.")
    Integer limit;

    @Option(names = "--json", description = "Print events as JSON lines (the schema in docs/events.md).")
    boolean json;

    @Option(names = "--sessions", description = "List recent sessions (with their counts and losses) instead of events.")
    boolean listSessions;

    @Option(names = "--export", paramLabel = "FORMAT", description = "Write the matching events to --out as jsonl or ocsf.")
    String export;

    @Option(names = "--out", paramLabel = "FILE", description = "File for --export.")
    Path out;

    @Option(names = "--db", paramLabel = "FILE",
            description = "Audit database (default: $" + AuditLocation.OVERRIDE_ENV + ", else $XDG_DATA_HOME/tether/audit.db, else ~/.local/share/tether/audit.db).")
    Path db;

    private final Clock clock;
    private final ZoneId zone;

    public LogCommand() {
        this(Clock.systemUTC(), ZoneId.systemDefault());
    }

    LogCommand(Clock clock, ZoneId zone) {
        this.clock = clock;
        this.zone = zone;
    }

    @Override
    public Integer call() {
        AuditQuery query = buildQuery();
        ExportFormat format = exportFormat();
        Path file = db != null ? db : AuditLocation.defaultDatabase();
        try (AuditStore store = AuditStore.openReadOnly(file)) {
            if (listSessions) {
                printSessions(store);
            } else if (format != null) {
                exportTo(store, query, format);
            } else {
                print(store, query);
            }
        } catch (AuditStoreException e) {
            throw new UserError(e.getMessage(), 1);
        }
        return 0;
    }

    AuditQuery buildQuery() {
        AuditQuery q = AuditQuery.all().withLimit(1000);
        if (session != null) {
            if (session.isBlank()) {
                throw new UserError("--session: give a session id (tether log --sessions lists them)");
            }
            q = q.withSession(session);
        }
        if (!actions.isEmpty()) {
            Set<EventKind> kinds = EnumSet.noneOf(EventKind.class);
            for (String a : actions) {
                kinds.add(EventKind.fromJsonName(a.strip()).orElseThrow(() -> new UserError("--action: unknown action '"
                        + a + "'; known: " + Arrays.stream(EventKind.values()).map(EventKind::jsonName)
                        .collect(Collectors.joining(", ")))));
            }
            q = q.withActions(kinds);
        }
        if (!decisions.isEmpty()) {
            Set<Verdict> verdicts = EnumSet.noneOf(Verdict.class);
            for (String d : decisions) {
                verdicts.add(Verdict.fromJsonName(d.strip()).orElseThrow(() -> new UserError(
                        "--decision: unknown decision '" + d + "'; use allow, deny, would-deny or none")));
            }
            q = q.withDecisions(verdicts);
        }
        if (since != null) {
            try {
                q = q.since(TimeArguments.parse(since, clock.instant(), zone));
            } catch (IllegalArgumentException e) {
                throw new UserError("--since: " + e.getMessage());
            }
        }
        if (grep != null) {
            q = q.withGrep(grep);
        }
        if (limit != null && (limit < 1 || limit > AuditQuery.MAX_LIMIT)) {
            throw new UserError("--limit: give a number from 1 to " + AuditQuery.MAX_LIMIT + ", not " + limit);
        }
        return q;
    }

    private ExportFormat exportFormat() {
        if (export == null) {
            if (out != null) {
                throw new UserError("--out needs --export jsonl|ocsf");
            }
            return null;
        }
        ExportFormat f = ExportFormat.fromName(export)
                .orElseThrow(() -> new UserError("--export: unknown format '" + export + "'; use jsonl or ocsf"));
        if (out == null) {
            throw new UserError("--export " + f.cliName() + " needs --out FILE");
        }
        if (Files.isDirectory(out)) {
            throw new UserError("--out: " + out + " is a directory; give a file name");
        }
        if (json) {
            throw new UserError("--json and --export do not go together: --export jsonl writes JSON lines to a file");
        }
        return f;
    }

    /** Oldest first; with --limit, the newest N, still oldest first. */
    private void select(AuditStore store, AuditQuery q, Consumer<StoredEvent> each) {
        if (limit == null) {
            store.forEach(q, each);
            return;
        }
        List<StoredEvent> newest = new ArrayList<>(store.query(q.before(0).withLimit(limit)).events());
        Collections.reverse(newest);
        newest.forEach(each);
    }

    private void print(AuditStore store, AuditQuery q) {
        PrintWriter w = spec.commandLine().getOut();
        EventJson codec = new EventJson();
        EventLine line = new EventLine(zone);
        select(store, q, json ? e -> w.println(codec.write(e.event())) : e -> w.println(line.format(e.event())));
        w.flush();
    }

    private void exportTo(AuditStore store, AuditQuery q, ExportFormat f) {
        Path target = out.toAbsolutePath();
        Path tmp;
        try {
            Path dir = target.getParent();
            if (dir != null) {
                Files.createDirectories(dir);
            }
            tmp = Files.createTempFile(dir, "." + target.getFileName() + ".", ".tmp");
        } catch (IOException e) {
            throw new UserError("--out: cannot write to " + target + ": " + e.getMessage(), 1);
        }
        long n;
        try (OutputStream os = new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 16)) {
            EventExporter x = EventExporter.open(f, os, hostname());
            select(store, q, e -> x.write(e.event()));
            x.close(); // flushes; the stream closes with the try
            n = x.written();
        } catch (IOException | UncheckedIOException e) {
            deleteQuietly(tmp);
            throw new UserError("--out: cannot write " + target + ": " + e.getMessage(), 1);
        }
        try {
            // Whole or nothing: a reader never sees half an export.
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            deleteQuietly(tmp);
            throw new UserError("--out: cannot write " + target + ": " + e.getMessage(), 1);
        }
        spec.commandLine().getErr().println("wrote " + n + (n == 1 ? " event" : " events") + " as " + f.cliName() + " to " + target);
    }

    private void printSessions(AuditStore store) {
        PrintWriter w = spec.commandLine().getOut();
        EventJson codec = new EventJson();
        for (SessionRecord r : store.sessions(limit == null ? 50 : limit)) {
            if (json) {
                w.println(codec.mapper().valueToTree(r).toString());
                continue;
            }
            long denied = r.counts().stream().filter(c -> c.decision() == Verdict.DENY).mapToLong(c -> c.count()).sum();
            String when = EventJson.formatTime(r.startNs() != null ? r.startNs() : r.firstNs());
            String state = r.endNs() == null ? "running or ended unrecorded"
                    : "exit " + (r.exitCode() == null ? "?" : r.exitCode());
            w.printf("%s  %s  %s  %d events, %d denied, %s  [%s]  %s%n", EventLine.escape(r.id()), when,
                    EventLine.escape(r.principal() == null ? "-" : r.principal()), r.events(), denied,
                    SessionSummaryFormatter.lost(new EventsLost(r.eventsLost(), r.lossMeasured())), state,
                    EventLine.escape(String.join(" ", r.command())));
        }
        w.flush();
    }

    private static String hostname() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "localhost";
        }
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException ignored) {
            // Best effort: a stray temp file is harmless.
        }
    }
}
