package dev.tether.cli.control;

import dev.tether.events.store.AuditStore;
import dev.tether.events.store.AuditStoreException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The control plane's read-only view of the host's audit database. The daemon's session writes it
 * (through its own connection); this one only queries, so SQLite's WAL lets both work at once. A
 * {@code tether ui} started before anything was ever recorded opens the file once it appears.
 */
final class AuditReader implements AutoCloseable {
    private final Path file;
    private AuditStore store; // guarded by this
    private String failure; // guarded by this: why the file, though present, cannot be read
    private boolean closed; // guarded by this

    AuditReader(Path file) {
        this.file = file;
    }

    Path file() {
        return file;
    }

    /** The store, or empty while the database does not exist (or cannot be read: see {@link #failure()}). */
    synchronized Optional<AuditStore> store() {
        if (store == null && !closed && Files.isRegularFile(file)) {
            try {
                store = AuditStore.openReadOnly(file);
                failure = null;
            } catch (AuditStoreException e) {
                failure = e.getMessage();
            }
        }
        return Optional.ofNullable(store);
    }

    /** Why an existing database could not be opened, or null. */
    synchronized String failure() {
        return failure;
    }

    @Override
    public synchronized void close() {
        closed = true;
        if (store != null) {
            store.close();
            store = null;
        }
    }
}
