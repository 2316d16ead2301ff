package dev.tether.cli.session;

import dev.tether.events.EventBus;
import dev.tether.events.Subscription;
import dev.tether.events.store.AuditLocation;
import dev.tether.events.store.AuditStore;
import dev.tether.events.store.AuditStoreException;
import dev.tether.events.summary.SessionSummaryFormatter;
import java.io.PrintWriter;
import java.time.Duration;

/**
 * Where a session's events go: the audit store (one SQLite file per host, for {@code tether log},
 * the UI and policy learning), the {@code --events} file and the console. At the end it prints
 * the session summary from the store: counts by action and decision, denials, events lost.
 */
final class SessionRecord implements AutoCloseable {
    private final AuditStore store;
    private final Subscription storeSubscription;
    private final SessionEventOutput output;
    private final PrintWriter err;

    private SessionRecord(AuditStore store, Subscription storeSubscription, SessionEventOutput output, PrintWriter err) {
        this.store = store;
        this.storeSubscription = storeSubscription;
        this.output = output;
        this.err = err;
    }

    /** The session's audit writer, or null when the store could not be opened. */
    AuditStore store() {
        return store;
    }

    /** @param output the events file and console, already subscribed to {@code bus} */
    static SessionRecord open(EventBus bus, SessionEventOutput output, PrintWriter err) {
        AuditStore store = null;
        Subscription stored = null;
        try {
            store = AuditStore.open(AuditLocation.defaultDatabase());
            stored = store.attach(bus);
        } catch (AuditStoreException | IllegalStateException e) {
            // Enforcement does not depend on the audit trail: say so loudly and go on.
            err.println("tether: the audit store cannot be opened (" + e.getMessage() + "); this session is recorded only in"
                    + " --events and on the console");
        }
        return new SessionRecord(store, stored, output, err);
    }

    /**
     * Flushes the store and prints the summary of {@code sessionId}; without a store, the summary
     * of what the session's own output saw.
     */
    void finish(String sessionId, int exitCode) {
        output.drain();
        long malformed = output.malformed();
        if (store == null) {
            err.print(prefix(new SessionSummaryFormatter().format(output.summary(exitCode))));
            err.flush();
            return;
        }
        try {
            if (!store.flush(Duration.ofSeconds(10))) {
                err.println("tether: the audit store did not catch up within 10 s; the summary may be incomplete");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        store.summary(sessionId, 20).ifPresent(s -> err.print(prefix(new SessionSummaryFormatter().format(s))));
        err.flush();
        if (output.fileDrops() > 0) {
            err.println("tether: " + output.fileDrops() + " events were not written to --events (the writer fell behind)");
        }
        if (malformed > 0) {
            err.println("tether: " + malformed + " kernel records could not be decoded");
        }
    }

    private static String prefix(String summary) {
        StringBuilder b = new StringBuilder();
        for (String line : summary.split("\n")) {
            b.append("tether: ").append(line).append('\n');
        }
        return b.toString();
    }

    @Override
    public void close() {
        if (storeSubscription != null) {
            storeSubscription.close();
        }
        if (store != null) {
            store.close();
        }
    }
}
