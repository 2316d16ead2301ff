package dev.tether.cli.policy;

import dev.tether.cli.UserError;
import dev.tether.events.store.AuditLocation;
import dev.tether.learn.AuditStoreEvents;
import dev.tether.learn.EventSelection;
import dev.tether.learn.EventsFile;
import dev.tether.learn.ProjectAliases;
import dev.tether.learn.RecordedEvents;
import dev.tether.learn.RecordedEventsException;
import dev.tether.learn.RecordedSession;
import dev.tether.learn.TimeArguments;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import picocli.CommandLine.Option;

/** Which recording to learn from or replay: the audit store or events files, sessions, a time window, the project. */
final class RecordingOptions {
    @Option(names = "--session", paramLabel = "ID",
            description = "A recorded session (repeatable; default: every session recorded).")
    List<String> sessions = new ArrayList<>();

    @Option(names = "--since", paramLabel = "T",
            description = "Only events from T on: a duration back from now (30m, 2h, 7d, 1w), an instant (2026-11-27T05:29:51Z), a local time (2026-11-27 05:29) or a date.")
    String since;

    @Option(names = "--until", paramLabel = "T", description = "Only events before T (same forms as --since).")
    String until;

    @Option(names = "--audit", paramLabel = "DB",
            description = "The audit database (default: $TETHER_AUDIT_DB, else ~/.local/share/tether/audit.db).")
    Path audit;

    @Option(names = "--events", paramLabel = "FILE",
            description = "Read events from JSON-lines files instead (tether run --events FILE, tether log --export jsonl); repeatable.")
    List<Path> eventsFiles = new ArrayList<>();

    @Option(names = {"-C", "--project"}, paramLabel = "DIR",
            description = "The project the sessions ran in; the sandbox also saw it as /workspace (default: the current directory).")
    Path project = Path.of("");

    /** The recording; close it when done (an audit store stays open until then). */
    RecordedEvents open() {
        if (!eventsFiles.isEmpty() && audit != null) {
            throw new UserError("give --audit or --events, not both");
        }
        try {
            if (!eventsFiles.isEmpty()) {
                return EventsFile.read(eventsFiles);
            }
            Path db = audit != null ? audit : AuditLocation.defaultDatabase();
            if (!Files.isRegularFile(db)) {
                throw new UserError("no audit database at " + db + " (nothing recorded on this host yet): record sessions"
                        + " with tether run, or give --audit DB or --events FILE");
            }
            return AuditStoreEvents.openReadOnly(db);
        } catch (RecordedEventsException e) {
            throw new UserError(e.getMessage());
        }
    }

    /** The selection, checked against what was recorded: an unknown session is an error, not an empty result. */
    EventSelection selection(RecordedEvents recorded) {
        Instant now = Instant.now();
        Long sinceNs = null;
        Long untilNs = null;
        try {
            if (since != null) {
                sinceNs = TimeArguments.parse(since, now, java.time.ZoneId.systemDefault());
            }
            if (until != null) {
                untilNs = TimeArguments.parse(until, now, java.time.ZoneId.systemDefault());
            }
        } catch (IllegalArgumentException e) {
            throw new UserError("--since/--until: " + e.getMessage());
        }
        EventSelection sel;
        try {
            sel = new EventSelection(sessions, sinceNs, untilNs);
        } catch (IllegalArgumentException e) {
            throw new UserError("--since/--until: " + e.getMessage());
        }
        List<RecordedSession> known;
        try {
            known = recorded.sessions();
        } catch (RecordedEventsException e) {
            throw new UserError(e.getMessage());
        }
        Set<String> ids = new TreeSet<>();
        known.forEach(s -> ids.add(s.id()));
        for (String s : sel.sessions()) {
            if (!ids.contains(s)) {
                throw new UserError("no session " + s + " in " + recorded.describe() + (ids.isEmpty() ? " (it has none)"
                        : "; recorded sessions: " + String.join(", ", ids.stream().limit(10).toList())
                                + (ids.size() > 10 ? ", ..." : "")));
            }
        }
        if (ids.isEmpty()) {
            throw new UserError(recorded.describe() + " has no recorded sessions");
        }
        return sel;
    }

    ProjectAliases projectAliases() {
        try {
            return new ProjectAliases(project.toAbsolutePath().normalize().toString());
        } catch (IllegalArgumentException e) {
            throw new UserError("--project: " + e.getMessage());
        }
    }
}
