package dev.tether.events.store;

import dev.tether.events.ActionCount;
import dev.tether.events.Event;
import dev.tether.events.EventBus;
import dev.tether.events.EventFormatException;
import dev.tether.events.EventJson;
import dev.tether.events.EventKind;
import dev.tether.events.EventWriter;
import dev.tether.events.LossDetail;
import dev.tether.events.SessionDetail;
import dev.tether.events.Subscription;
import dev.tether.events.Verdict;
import dev.tether.events.summary.EventsLost;
import dev.tether.events.summary.SessionSummary;
import dev.tether.events.tree.ProcessStep;
import dev.tether.events.tree.ProcessTree;
import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdCompressCtx;
import com.github.luben.zstd.ZstdDecompressCtx;
import com.github.luben.zstd.ZstdException;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Consumer;

/**
 * The host's audit trail: every event in one SQLite file (WAL), written in batches by a single
 * writer, read by {@code tether log} and the REST API.
 *
 * <p><b>Writing.</b> {@link #attach(EventBus)} subscribes the store to a bus: the subscription's
 * own thread writes each batch in one transaction ({@link #append}). A batch that cannot be written
 * (disk full, I/O error) is rolled back and <em>counted as lost</em> — for the host and for each
 * session it belonged to — and the store keeps going: a failing disk never throws into the bus, the
 * kernel consumer or enforcement. Drops by the bus (the store fell behind) are recorded per session
 * too.
 *
 * <p><b>Durability.</b> WAL with {@code synchronous=NORMAL}: a committed batch survives the writer
 * being killed (SIGKILL); the OS crashing may lose the last few commits.
 *
 * <p><b>Retention.</b> Events older than {@link RetentionPolicy#maxAge()} and, when the file grows
 * past {@link RetentionPolicy#maxBytes()}, the oldest events are deleted (checked every
 * {@value #RETENTION_EVERY_EVENTS} events and at open).
 */
public final class AuditStore implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(AuditStore.class.getName());
    private static final int SCHEMA_VERSION = 1;
    static final int RETENTION_EVERY_EVENTS = 200_000;
    private static final int DELETE_CHUNK = 50_000;
    /** Bits of chunk ids in an event id: event id = chunk id << 16 | index in the chunk. */
    static final int INDEX_BITS = 16;
    private static final long INDEX_MASK = (1L << INDEX_BITS) - 1;

    /** The chunk an event id belongs to. */
    public static long chunkOf(long eventId) {
        return eventId >>> INDEX_BITS;
    }

    /** The event's place in its chunk (0 for the first). */
    public static int indexInChunk(long eventId) {
        return (int) (eventId & INDEX_MASK);
    }

    /**
     * A cursor just past every event of the chunk {@code eventId} is in, whatever its size: a
     * query "after" it starts at the next chunk without reading this one again. No event has this
     * id (a chunk holds at most {@link #MAX_BATCH} events).
     */
    public static long endOfChunk(long eventId) {
        return chunkOf(eventId) << INDEX_BITS | INDEX_MASK;
    }
    /** Default queue of the store's bus subscription: about a second of a heavy build's events. */
    public static final int DEFAULT_QUEUE = 1 << 18;
    public static final int MAX_BATCH = 8192;
    /** How long a small batch waits for more events before its transaction (see {@link #attach}). */
    static final java.time.Duration GROUP_COMMIT = java.time.Duration.ofMillis(10);

    private final Path file;
    private final boolean readOnly;
    private final RetentionPolicy retention;
    private final EventJson json = new EventJson();
    private final EventWriter chunkBuffer = new EventWriter(1 << 20); // writer thread only
    private final ZstdCompressCtx compressor = new ZstdCompressCtx().setLevel(1); // writer thread only
    private byte[] compressed = new byte[0]; // writer thread only: a chunk-sized array per batch would churn the GC
    private final ZstdDecompressCtx decompressor = new ZstdDecompressCtx(); // guarded by readLock
    /** Decompressed chunks larger than this are refused as corrupt (a full chunk is a few MB). */
    private static final long MAX_CHUNK_BYTES = 256L << 20;
    private static final String NO_SESSION = new String("(none)"); // identity marker for the null session
    private final Object writeLock = new Object();
    private final Object readLock = new Object();
    private Connection writer; // replaced after a failed write; guarded by writeLock
    private final List<Consumer<List<StoredEvent>>> committedListeners = new CopyOnWriteArrayList<>();
    private final List<StoredEvent> pendingCommitted = new ArrayList<>(); // guarded by writeLock
    private final Connection reader;
    private final AtomicLong written = new AtomicLong();
    private final AtomicLong lost = new AtomicLong();
    private final AtomicLong failedBatches = new AtomicLong();
    /**
     * Reopen failures since the last committed batch: only the first of a streak (and every
     * 1000th) is logged. Counted from a commit, not from a successful open: with the disk full an
     * open succeeds and the next write fails again, so counting from the open logged every batch.
     */
    private long reopenFailures;
    private final boolean previousRunUnclean;
    private volatile String lastError;
    private volatile Subscription subscription;
    // Loss that could not be recorded yet (the write failed): session -> count; flushed on the next commit.
    private final Map<String, PendingLoss> pendingLoss = new HashMap<>();
    private long sinceRetention;
    private boolean closed;
    private final Thread checkpointer;
    private volatile boolean stopCheckpointer;
    /** How often the checkpointer runs; the WAL grows by about this much of writing meanwhile. */
    private static final long CHECKPOINT_INTERVAL_MS = 500;

    private static final class PendingLoss {
        long count;
        boolean measured;
    }

    private AuditStore(Path file, boolean readOnly, RetentionPolicy retention) {
        this.file = file;
        this.readOnly = readOnly;
        this.retention = retention;
        try {
            if (readOnly) {
                if (!Files.isRegularFile(file)) {
                    throw new AuditStoreException("no audit database at " + file
                            + " (nothing recorded yet on this host, or set " + AuditLocation.OVERRIDE_ENV + ")");
                }
                writer = null;
            } else {
                createPrivateDirectory(file.getParent());
                writer = DriverManager.getConnection("jdbc:sqlite:" + file);
                configureWriter(writer);
                createSchema(writer);
            }
            reader = DriverManager.getConnection("jdbc:sqlite:" + file);
            try (Statement s = reader.createStatement()) {
                s.execute("PRAGMA busy_timeout=10000");
                s.execute("PRAGMA query_only=1");
            }
            checkSchema(reader);
            previousRunUnclean = !readOnly && markOpen();
            if (!readOnly) {
                enforceRetention();
                checkpointer = Thread.ofPlatform().daemon().name("tether-audit-checkpoint").start(this::checkpointLoop);
            } else {
                checkpointer = null;
            }
        } catch (SQLException e) {
            throw new AuditStoreException("cannot open the audit database " + file + ": " + e.getMessage(), e);
        }
    }

    /** Opens (creating if needed) the store for writing, with the default retention. */
    public static AuditStore open(Path file) {
        return open(file, RetentionPolicy.DEFAULT);
    }

    public static AuditStore open(Path file, RetentionPolicy retention) {
        return new AuditStore(file, false, retention);
    }

    /** Opens an existing store for queries only ({@code tether log}); a daemon may be writing it. */
    public static AuditStore openReadOnly(Path file) {
        return new AuditStore(file, true, RetentionPolicy.DEFAULT);
    }

    public Path file() {
        return file;
    }

    // ---------------------------------------------------------------- schema

    private static void createPrivateDirectory(Path dir) throws SQLException {
        if (dir == null || Files.isDirectory(dir)) {
            return;
        }
        try {
            Files.createDirectories(dir);
            try {
                Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
            } catch (UnsupportedOperationException ignored) {
                // Not a POSIX file system: nothing to tighten.
            }
        } catch (IOException e) {
            throw new SQLException("cannot create " + dir + ": " + e.getMessage(), e);
        }
    }

    private static void configureWriter(Connection c) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute("PRAGMA busy_timeout=10000");
            // Must precede the first table: lets retention give pages back to the file system.
            s.execute("PRAGMA auto_vacuum=INCREMENTAL");
            s.execute("PRAGMA journal_mode=WAL");
            // WAL + NORMAL: a commit survives the process dying; only an OS crash can lose the last ones.
            s.execute("PRAGMA synchronous=NORMAL");
            s.execute("PRAGMA journal_size_limit=67108864");
            s.execute("PRAGMA cache_size=-32768");
            // The checkpointer thread moves the WAL into the database (and fsyncs): the writer
            // then never waits on the disk, it only appends to the WAL.
            s.execute("PRAGMA wal_autocheckpoint=0");
            s.execute("PRAGMA temp_store=MEMORY");
        }
        c.setAutoCommit(false);
    }

    private static void createSchema(Connection c) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT) WITHOUT ROWID");
            // Events are stored in chunks: up to MAX_BATCH events of one session as JSON lines,
            // zstd-compressed (about 20x), in one row. One row per event tops out near 250k events/s
            // here (BENCHMARKS.md) and writes every byte twice through the WAL; chunks reach the
            // 500k/s target. The masks (bit = ordinal) and time range let queries skip chunks.
            s.execute("""
                    CREATE TABLE IF NOT EXISTS chunks(
                      id INTEGER PRIMARY KEY,
                      session TEXT,
                      first_ns INTEGER NOT NULL,
                      last_ns INTEGER NOT NULL,
                      count INTEGER NOT NULL,
                      kinds INTEGER NOT NULL,
                      decisions INTEGER NOT NULL,
                      data BLOB NOT NULL)""");
            s.execute("CREATE INDEX IF NOT EXISTS chunks_by_session ON chunks(session, id)");
            s.execute("CREATE INDEX IF NOT EXISTS chunks_by_time ON chunks(last_ns)");
            s.execute("""
                    CREATE TABLE IF NOT EXISTS sessions(
                      id TEXT PRIMARY KEY,
                      principal TEXT,
                      command TEXT,
                      mode TEXT,
                      sandbox TEXT,
                      start_ns INTEGER,
                      end_ns INTEGER,
                      exit_code INTEGER,
                      first_ns INTEGER NOT NULL,
                      last_ns INTEGER NOT NULL,
                      events INTEGER NOT NULL DEFAULT 0,
                      events_lost INTEGER NOT NULL DEFAULT 0,
                      loss_measured INTEGER NOT NULL DEFAULT 0)""");
            s.execute("""
                    CREATE TABLE IF NOT EXISTS session_counts(
                      session TEXT NOT NULL, action TEXT NOT NULL, decision TEXT NOT NULL, count INTEGER NOT NULL,
                      PRIMARY KEY(session, action, decision)) WITHOUT ROWID""");
            s.execute("""
                    CREATE TABLE IF NOT EXISTS losses(
                      id INTEGER PRIMARY KEY, time_ns INTEGER NOT NULL, session TEXT, source TEXT NOT NULL,
                      count INTEGER NOT NULL, note TEXT)""");
            s.execute("INSERT OR IGNORE INTO meta VALUES('schema_version', '" + SCHEMA_VERSION + "')");
        }
        c.commit();
    }

    private void checkSchema(Connection c) throws SQLException {
        try (Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT value FROM meta WHERE key='schema_version'")) {
            if (!rs.next()) {
                throw new AuditStoreException(file + " is not a tether audit database");
            }
            int v = Integer.parseInt(rs.getString(1));
            if (v > SCHEMA_VERSION) {
                throw new AuditStoreException(file + " was written by a newer tether (schema " + v + ")");
            }
        } catch (SQLException e) {
            if (e.getMessage() != null && e.getMessage().contains("no such table")) {
                throw new AuditStoreException(file + " is not a tether audit database", e);
            }
            throw e;
        }
    }

    /** Records that a writer is running; true if the previous writer never closed (it crashed or was killed). */
    private boolean markOpen() throws SQLException {
        boolean unclean;
        try (Statement s = writer.createStatement();
                ResultSet rs = s.executeQuery("SELECT value FROM meta WHERE key='writer_open'")) {
            unclean = rs.next() && "1".equals(rs.getString(1));
        }
        try (Statement s = writer.createStatement()) {
            s.execute("INSERT OR REPLACE INTO meta VALUES('writer_open', '1')");
            if (unclean) {
                s.execute("INSERT INTO losses(time_ns, session, source, count, note) VALUES(" + Event.nowNs()
                        + ", NULL, 'store', 0, 'the previous writer stopped without closing the store: "
                        + "events still queued in its memory were lost (count unknown); every committed event is intact')");
            }
        }
        writer.commit();
        return unclean;
    }

    /**
     * Copies committed WAL frames into the database every {@link #CHECKPOINT_INTERVAL_MS}, on its own
     * connection (PASSIVE: it never blocks the writer or readers). A failure is retried next time;
     * until then the WAL just grows.
     */
    private void checkpointLoop() {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file)) {
            try (Statement s = c.createStatement()) {
                s.execute("PRAGMA busy_timeout=1000");
            }
            while (!stopCheckpointer) {
                try {
                    Thread.sleep(CHECKPOINT_INTERVAL_MS);
                } catch (InterruptedException e) {
                    break;
                }
                try (Statement s = c.createStatement()) {
                    s.execute("PRAGMA wal_checkpoint(PASSIVE)");
                } catch (SQLException e) {
                    LOG.log(Level.DEBUG, "audit store " + file + ": checkpoint: " + e.getMessage());
                }
            }
        } catch (SQLException e) {
            LOG.log(Level.WARNING, "audit store " + file + ": no checkpointer (" + e.getMessage()
                    + "); checkpoints happen at retention and close only");
        }
    }

    /** Whether the previous writer of this file stopped without closing it (crash, SIGKILL). */
    public boolean previousRunUnclean() {
        return previousRunUnclean;
    }

    // ---------------------------------------------------------------- writing

    /** Subscribes the store to {@code bus} with a {@link #DEFAULT_QUEUE}-event queue. */
    public Subscription attach(EventBus bus) {
        return attach(bus, DEFAULT_QUEUE);
    }

    /**
     * Subscribes the store to {@code bus}: batches are written on the subscription's thread. Events
     * the bus drops because the store fell behind are recorded as lost for their sessions.
     */
    public Subscription attach(EventBus bus, int queueCapacity) {
        requireWritable();
        if (subscription != null) {
            throw new IllegalStateException("the store is already attached to a bus");
        }
        // One transaction per batch: events trickling in one at a time are grouped for up to 10 ms.
        Subscription s = bus.subscribeBatches("audit-store", queueCapacity, MAX_BATCH, GROUP_COMMIT, this::append);
        subscription = s;
        return s;
    }

    /**
     * Waits until everything the bus handed to the store before this call is written (or counted
     * as lost). {@code tether run} calls it before printing the session summary.
     */
    public boolean flush(Duration timeout) throws InterruptedException {
        Subscription s = subscription;
        if (s == null) {
            return true;
        }
        boolean done = s.awaitDelivered(timeout);
        // A drop noticed after the last batch still has to reach the sessions table.
        append(List.of());
        return done;
    }

    /**
     * Writes {@code batch} in one transaction. Never throws for a write failure: the batch is
     * counted as lost (for the host and its sessions) and false is returned.
     */
    public boolean append(List<Event> batch) {
        requireWritable();
        synchronized (writeLock) {
            if (closed) {
                lost.addAndGet(batch.size());
                return false;
            }
            Map<String, Long> dropped = subscription == null ? Map.of() : subscription.takeDroppedBySession();
            if (batch.isEmpty() && dropped.isEmpty() && pendingLoss.isEmpty()) {
                return true;
            }
            try {
                ensureWriter();
                pendingCommitted.clear();
                writeBatch(batch, dropped);
                writer.commit();
                reopenFailures = 0;
                if (!pendingCommitted.isEmpty()) {
                    List<StoredEvent> committed = List.copyOf(pendingCommitted);
                    pendingCommitted.clear();
                    for (Consumer<List<StoredEvent>> l : committedListeners) {
                        try {
                            l.accept(committed);
                        } catch (RuntimeException e) {
                            // a reader's trouble is not the store's: the events are committed
                        }
                    }
                }
                written.addAndGet(batch.size());
                pendingLoss.clear();
                sinceRetention += batch.size();
                if (sinceRetention >= RETENTION_EVERY_EVENTS) {
                    sinceRetention = 0;
                    enforceRetentionLocked();
                }
                return true;
            } catch (SQLException | RuntimeException e) {
                recordFailure(batch, dropped, e);
                resetWriter();
                return false;
            }
        }
    }

    /**
     * Calls {@code listener} on the writer's thread with every batch this store commits, as the
     * stored events (their ids as queries return them) in id order, right after the commit. For
     * readers in the same process (the control UI's live feed), which then need not read back and
     * decode what was just written. The listener must be quick; it must not call back into the store.
     *
     * @return closing it removes the listener
     */
    public AutoCloseable onCommitted(Consumer<List<StoredEvent>> listener) {
        Objects.requireNonNull(listener, "listener");
        committedListeners.add(listener);
        return () -> committedListeners.remove(listener);
    }

    private long lastInsertRowid() throws SQLException {
        try (Statement st = writer.createStatement(); ResultSet rs = st.executeQuery("SELECT last_insert_rowid()")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private void writeBatch(List<Event> batch, Map<String, Long> dropped) throws SQLException {
        Map<String, SessionDelta> sessions = new LinkedHashMap<>();
        // One chunk per session per batch; events without a session (policy reloads) share one.
        Map<String, List<Event>> bySession = new LinkedHashMap<>();
        for (Event e : batch) {
            bySession.computeIfAbsent(e.session() == null ? NO_SESSION : e.session(), k -> new ArrayList<>()).add(e);
            if (e.session() != null) {
                sessions.computeIfAbsent(e.session(), k -> new SessionDelta()).add(e);
            }
        }
        if (!bySession.isEmpty()) {
            try (PreparedStatement ins = writer.prepareStatement(
                    "INSERT INTO chunks(session, first_ns, last_ns, count, kinds, decisions, data) VALUES(?,?,?,?,?,?,?)")) {
                for (Map.Entry<String, List<Event>> group : bySession.entrySet()) {
                    List<Event> events = group.getValue();
                    for (int from = 0; from < events.size(); from += MAX_BATCH) {
                        List<Event> chunk = events.subList(from, Math.min(events.size(), from + MAX_BATCH));
                        bindChunk(ins, group.getKey() == NO_SESSION ? null : group.getKey(), chunk);
                        ins.executeUpdate();
                        if (!committedListeners.isEmpty()) {
                            long chunkId = lastInsertRowid();
                            for (int idx = 0; idx < chunk.size(); idx++) {
                                pendingCommitted.add(new StoredEvent(chunkId << INDEX_BITS | idx, chunk.get(idx)));
                            }
                        }
                    }
                }
            }
        }
        for (Map.Entry<String, Long> d : dropped.entrySet()) {
            SessionDelta delta = sessions.computeIfAbsent(d.getKey(), k -> new SessionDelta());
            delta.lost += d.getValue();
            delta.busDropped += d.getValue();
        }
        for (Map.Entry<String, PendingLoss> p : pendingLoss.entrySet()) {
            SessionDelta delta = sessions.computeIfAbsent(p.getKey(), k -> new SessionDelta());
            delta.lost += p.getValue().count;
            delta.storeLost += p.getValue().count;
            delta.measured |= p.getValue().measured;
        }
        updateSessions(sessions);
    }

    private void bindChunk(PreparedStatement ins, String session, List<Event> events) throws SQLException {
        long first = Long.MAX_VALUE;
        long last = Long.MIN_VALUE;
        long kinds = 0;
        long decisions = 0;
        chunkBuffer.reset();
        for (int i = 0; i < events.size(); i++) {
            Event e = events.get(i);
            if (i > 0) {
                chunkBuffer.newline();
            }
            chunkBuffer.write(e);
            first = Math.min(first, e.timeNs());
            last = Math.max(last, e.timeNs());
            kinds |= 1L << e.kind().ordinal();
            decisions |= 1L << e.decision().ordinal();
        }
        ins.setString(1, session);
        ins.setLong(2, first);
        ins.setLong(3, last);
        ins.setInt(4, events.size());
        ins.setLong(5, kinds);
        ins.setLong(6, decisions);
        int bound = (int) Zstd.compressBound(chunkBuffer.length());
        if (compressed.length < bound) {
            compressed = new byte[bound];
        }
        int n = compressor.compressByteArray(compressed, 0, bound, chunkBuffer.array(), 0, chunkBuffer.length());
        ins.setBytes(7, Arrays.copyOf(compressed, n));
    }

    private static final EventKind[] KINDS = EventKind.values();
    private static final Verdict[] VERDICT_VALUES = Verdict.values();
    private static final int VERDICTS = VERDICT_VALUES.length;

    /** What one batch changes for one session. */
    private static final class SessionDelta {
        long events;
        long firstNs = Long.MAX_VALUE;
        long lastNs = Long.MIN_VALUE;
        long lost;
        long busDropped;
        long storeLost;
        boolean measured;
        String principal;
        Event start;
        Event end;
        final List<Event> lossReports = new ArrayList<>();
        /** Events per (kind, verdict): index kind.ordinal() * VERDICTS + verdict.ordinal(). */
        final long[] counts = new long[EventKind.values().length * VERDICTS];

        void add(Event e) {
            events++;
            firstNs = Math.min(firstNs, e.timeNs());
            lastNs = Math.max(lastNs, e.timeNs());
            if (e.principal() != null) {
                principal = e.principal();
            }
            counts[e.kind().ordinal() * VERDICTS + e.decision().ordinal()]++;
            switch (e.kind()) {
                case SESSION_START -> start = e;
                case SESSION_END -> end = e;
                case EVENTS_LOST -> {
                    measured = true;
                    if (e.detail() instanceof LossDetail l && l.count() > 0) {
                        lost += l.count();
                    }
                    lossReports.add(e);
                }
                default -> {}
            }
        }
    }

    private void updateSessions(Map<String, SessionDelta> sessions) throws SQLException {
        if (sessions.isEmpty()) {
            return;
        }
        long now = Event.nowNs();
        try (PreparedStatement upsert = writer.prepareStatement("""
                        INSERT INTO sessions(id, principal, first_ns, last_ns, events, events_lost, loss_measured)
                        VALUES(?,?,?,?,?,?,?)
                        ON CONFLICT(id) DO UPDATE SET
                          principal = coalesce(excluded.principal, principal),
                          first_ns = min(first_ns, excluded.first_ns),
                          last_ns = max(last_ns, excluded.last_ns),
                          events = events + excluded.events,
                          events_lost = events_lost + excluded.events_lost,
                          loss_measured = max(loss_measured, excluded.loss_measured)""");
                PreparedStatement count = writer.prepareStatement("""
                        INSERT INTO session_counts VALUES(?,?,?,?)
                        ON CONFLICT(session, action, decision) DO UPDATE SET count = count + excluded.count""");
                PreparedStatement start = writer.prepareStatement(
                        "UPDATE sessions SET command=?, mode=?, sandbox=?, start_ns=? WHERE id=?");
                PreparedStatement end = writer.prepareStatement(
                        "UPDATE sessions SET end_ns=?, exit_code=? WHERE id=?");
                PreparedStatement loss = writer.prepareStatement(
                        "INSERT INTO losses(time_ns, session, source, count, note) VALUES(?,?,?,?,?)")) {
            for (Map.Entry<String, SessionDelta> en : sessions.entrySet()) {
                String id = en.getKey();
                SessionDelta d = en.getValue();
                long first = d.events > 0 ? d.firstNs : now;
                long last = d.events > 0 ? d.lastNs : now;
                upsert.setString(1, id);
                upsert.setString(2, d.principal);
                upsert.setLong(3, first);
                upsert.setLong(4, last);
                upsert.setLong(5, d.events);
                upsert.setLong(6, d.lost);
                upsert.setInt(7, d.measured ? 1 : 0);
                upsert.addBatch();
                for (int i = 0; i < d.counts.length; i++) {
                    if (d.counts[i] == 0) {
                        continue;
                    }
                    count.setString(1, id);
                    count.setString(2, KINDS[i / VERDICTS].jsonName());
                    count.setString(3, VERDICT_VALUES[i % VERDICTS].jsonName());
                    count.setLong(4, d.counts[i]);
                    count.addBatch();
                }
                if (d.start != null && d.start.detail() instanceof SessionDetail s) {
                    start.setString(1, commandJson(s.command()));
                    start.setString(2, s.mode());
                    start.setString(3, s.sandbox());
                    start.setLong(4, d.start.timeNs());
                    start.setString(5, id);
                    start.addBatch();
                }
                if (d.end != null) {
                    end.setLong(1, d.end.timeNs());
                    Integer code = d.end.detail() instanceof SessionDetail s ? s.exitCode() : null;
                    if (code == null) {
                        end.setNull(2, java.sql.Types.INTEGER);
                    } else {
                        end.setInt(2, code);
                    }
                    end.setString(3, id);
                    end.addBatch();
                }
                for (Event r : d.lossReports) {
                    LossDetail l = (LossDetail) r.detail();
                    addLoss(loss, r.timeNs(), id, l == null ? "unknown" : l.source(), l == null ? 0 : l.count(), null);
                }
                if (d.busDropped > 0) {
                    addLoss(loss, now, id, "bus:audit-store", d.busDropped, "the store fell behind; the bus dropped these");
                }
                if (d.storeLost > 0) {
                    addLoss(loss, now, id, "store", d.storeLost, "write failed: " + lastError);
                }
            }
            upsert.executeBatch();
            count.executeBatch();
            start.executeBatch();
            end.executeBatch();
            loss.executeBatch();
        }
    }

    private String commandJson(List<String> command) {
        try {
            return json.mapper().writeValueAsString(command);
        } catch (IOException e) {
            throw new IllegalStateException("command could not be written as JSON", e);
        }
    }

    private static void addLoss(PreparedStatement loss, long t, String session, String source, long count, String note)
            throws SQLException {
        loss.setLong(1, t);
        loss.setString(2, session);
        loss.setString(3, source);
        loss.setLong(4, count);
        loss.setString(5, note);
        loss.addBatch();
    }

    private void recordFailure(List<Event> batch, Map<String, Long> dropped, Exception e) {
        lost.addAndGet(batch.size());
        failedBatches.incrementAndGet();
        lastError = e.getMessage();
        for (Event ev : batch) {
            if (ev.session() != null) {
                PendingLoss p = pendingLoss.computeIfAbsent(ev.session(), k -> new PendingLoss());
                p.count++;
                if (ev.kind() == EventKind.EVENTS_LOST) {
                    p.measured = true;
                    if (ev.detail() instanceof LossDetail l && l.count() > 0) {
                        p.count += l.count();
                    }
                }
            }
        }
        for (Map.Entry<String, Long> d : dropped.entrySet()) {
            pendingLoss.computeIfAbsent(d.getKey(), k -> new PendingLoss()).count += d.getValue();
        }
        // One line per failure streak start keeps a full disk from flooding the log.
        if (failedBatches.get() == 1 || failedBatches.get() % 1000 == 0) {
            LOG.log(Level.ERROR, "audit store " + file + ": could not write " + batch.size()
                    + " events, counted as lost (" + lost.get() + " so far): " + e.getMessage());
        }
    }

    /**
     * After a failed write SQLite may already have rolled the transaction back by itself (it does on
     * SQLITE_FULL), which desynchronises the driver's idea of the transaction: the next batch could
     * then auto-commit row by row. A fresh connection is the only state we can trust.
     */
    private void resetWriter() {
        rollbackQuietly();
        try {
            writer.close();
        } catch (SQLException ignored) {
            // Closing a broken connection may fail; it is replaced either way.
        }
        try {
            Connection c = DriverManager.getConnection("jdbc:sqlite:" + file);
            configureWriter(c);
            writer = c;
        } catch (SQLException e) {
            // Keep the closed one: every append fails (and counts) until a reopen works. While the
            // disk stays full every batch gets here: one line per streak (and every 1000th), not
            // one per batch.
            if (reopenFailures++ % 1000 == 0) {
                LOG.log(Level.ERROR, "audit store " + file + ": cannot reopen after a failed write ("
                        + reopenFailures + " in a row): " + e.getMessage());
            }
        }
    }

    private void ensureWriter() throws SQLException {
        if (writer.isClosed()) {
            Connection c = DriverManager.getConnection("jdbc:sqlite:" + file);
            configureWriter(c);
            writer = c;
        }
    }

    private void rollbackQuietly() {
        try {
            writer.rollback();
        } catch (SQLException ignored) {
            // The connection may already have rolled back (SQLITE_FULL does); nothing else to undo.
        }
    }

    private void requireWritable() {
        if (readOnly) {
            throw new IllegalStateException("the audit store was opened read-only");
        }
    }

    /** Events committed by this store object. */
    public long written() {
        return written.get();
    }

    /** Events this store object could not write (counted, never silent). */
    public long lost() {
        return lost.get();
    }

    /** The last write error, or null. */
    public String lastError() {
        return lastError;
    }

    // ---------------------------------------------------------------- retention

    /** Applies the retention policy now (also done at open and every so many events). */
    public void enforceRetention() {
        if (readOnly) {
            return;
        }
        synchronized (writeLock) {
            enforceRetentionLocked();
        }
    }

    private void enforceRetentionLocked() {
        try {
            long cutoff = Event.nowNs() - retention.maxAge().toNanos();
            int n;
            do {
                try (PreparedStatement d = writer.prepareStatement(
                        "DELETE FROM chunks WHERE id IN (SELECT id FROM chunks WHERE last_ns < ? LIMIT " + DELETE_CHUNK + ")")) {
                    d.setLong(1, cutoff);
                    n = d.executeUpdate();
                }
                writer.commit();
            } while (n == DELETE_CHUNK);
            try (PreparedStatement d = writer.prepareStatement("DELETE FROM sessions WHERE last_ns < ?");
                    PreparedStatement c = writer.prepareStatement(
                            "DELETE FROM session_counts WHERE session NOT IN (SELECT id FROM sessions)");
                    PreparedStatement l = writer.prepareStatement("DELETE FROM losses WHERE time_ns < ?")) {
                d.setLong(1, cutoff);
                d.executeUpdate();
                c.executeUpdate();
                l.setLong(1, cutoff);
                l.executeUpdate();
            }
            writer.commit();
            shrinkToSize();
        } catch (SQLException e) {
            rollbackQuietly();
            LOG.log(Level.WARNING, "audit store " + file + ": retention failed: " + e.getMessage());
        }
    }

    private void shrinkToSize() throws SQLException {
        for (int round = 0; round < 64; round++) {
            long used = usedBytes();
            if (used <= retention.maxBytes()) {
                break;
            }
            long chunks;
            try (Statement s = writer.createStatement();
                    ResultSet rs = s.executeQuery("SELECT count(*) FROM chunks")) {
                rs.next();
                chunks = rs.getLong(1);
            }
            if (chunks == 0) {
                break;
            }
            double bytesPerChunk = (double) used / chunks;
            long excess = used - retention.maxBytes() * 9 / 10;
            long delete = Math.min(DELETE_CHUNK, Math.max(1, (long) Math.ceil(excess / bytesPerChunk)));
            try (PreparedStatement d = writer.prepareStatement(
                    "DELETE FROM chunks WHERE id IN (SELECT id FROM chunks ORDER BY id LIMIT ?)")) {
                d.setLong(1, delete);
                d.executeUpdate();
            }
            writer.commit();
        }
        // Give freed pages back to the file system, and cut the WAL down.
        writer.setAutoCommit(true);
        try (Statement s = writer.createStatement()) {
            // sqlite-jdbc steps a statement once, and each step of incremental_vacuum frees one page.
            long free = single(s, "PRAGMA freelist_count");
            for (long i = 0; i < free; i++) {
                s.execute("PRAGMA incremental_vacuum");
            }
            truncateWal(s);
        } finally {
            writer.setAutoCommit(false);
        }
    }

    /**
     * Checkpoints everything and truncates the WAL. A checkpoint the checkpointer thread is running
     * at that moment makes SQLite answer "busy" at once (no busy handler), so retry a little.
     */
    private static void truncateWal(Statement s) throws SQLException {
        for (int attempt = 0; attempt < 100; attempt++) {
            try (ResultSet rs = s.executeQuery("PRAGMA wal_checkpoint(TRUNCATE)")) {
                if (!rs.next() || rs.getInt(1) == 0) {
                    return;
                }
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** Bytes of the database in use (pages minus free pages). */
    public long usedBytes() throws SQLException {
        Connection c = readOnly ? reader : writer;
        try (Statement s = c.createStatement()) {
            long pageSize = single(s, "PRAGMA page_size");
            long pages = single(s, "PRAGMA page_count");
            long free = single(s, "PRAGMA freelist_count");
            return (pages - free) * pageSize;
        }
    }

    private static long single(Statement s, String sql) throws SQLException {
        try (ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    // ---------------------------------------------------------------- reading

    /** One page of events matching {@code q}. */
    public AuditPage query(AuditQuery q) {
        List<StoredEvent> out = new ArrayList<>(Math.min(q.limit() + 1, 1024));
        scan(q, q.limit() + 1L, out::add);
        boolean more = out.size() > q.limit();
        return new AuditPage(more ? out.subList(0, q.limit()) : out, more);
    }

    /** Every event matching {@code q} (its limit is the page size used inside), in the query's order. */
    public void forEach(AuditQuery q, Consumer<StoredEvent> action) {
        scan(q, Long.MAX_VALUE, action);
    }

    /** How many events match {@code q} (its cursor and limit are ignored). */
    public long count(AuditQuery q) {
        AuditQuery all = q.next(0);
        if (all.actions().isEmpty() && all.decisions().isEmpty() && all.sinceNs() == null && all.untilNs() == null
                && all.grep() == null) {
            return sumCounts(all.session());
        }
        long[] n = {0};
        scan(all, Long.MAX_VALUE, e -> n[0]++);
        return n[0];
    }

    private long sumCounts(String session) {
        synchronized (readLock) {
            try (PreparedStatement ps = reader.prepareStatement(session == null
                    ? "SELECT coalesce(sum(count), 0) FROM chunks"
                    : "SELECT coalesce(sum(count), 0) FROM chunks WHERE session = ?")) {
                if (session != null) {
                    ps.setString(1, session);
                }
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    return rs.getLong(1);
                }
            } catch (SQLException e) {
                throw new AuditStoreException("query failed on " + file + ": " + e.getMessage(), e);
            }
        }
    }

    /**
     * Feeds up to {@code max} matching events to {@code sink} in the query's order.
     *
     * @return true if the matches ran out before {@code max}
     */
    private boolean scan(AuditQuery q, long max, Consumer<StoredEvent> sink) {
        ChunkFilter filter = new ChunkFilter(q, json.mapper());
        long cursorChunk = q.cursor() > 0 ? q.cursor() >>> INDEX_BITS : (q.newestFirst() ? Long.MAX_VALUE : 0);
        if (!q.newestFirst() && q.cursor() > 0 && (q.cursor() & INDEX_MASK) == INDEX_MASK) {
            cursorChunk++; // "after the end of chunk c" (see endOfChunk): that chunk need not be read again
        }
        long delivered = 0;
        while (true) {
            List<Object> args = new ArrayList<>();
            StringBuilder sql = new StringBuilder("SELECT id, data FROM chunks WHERE ");
            sql.append(q.newestFirst() ? "id <= ?" : "id >= ?");
            args.add(cursorChunk);
            filter.appendSql(sql, args);
            sql.append(" ORDER BY id").append(q.newestFirst() ? " DESC" : "").append(" LIMIT 4");
            List<long[]> ids = new ArrayList<>();
            List<byte[]> datas = new ArrayList<>();
            synchronized (readLock) {
                try (PreparedStatement ps = reader.prepareStatement(sql.toString())) {
                    bind(ps, args);
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) {
                            ids.add(new long[] {rs.getLong(1)});
                            datas.add(decompress(rs.getLong(1), rs.getBytes(2)));
                        }
                    }
                } catch (SQLException e) {
                    throw new AuditStoreException("query failed on " + file + ": " + e.getMessage(), e);
                }
            }
            if (ids.isEmpty()) {
                return true;
            }
            for (int c = 0; c < ids.size(); c++) {
                long chunkId = ids.get(c)[0];
                byte[] data = datas.get(c);
                int[] starts = lineStarts(data);
                int lines = starts.length - 1;
                for (int k = 0; k < lines; k++) {
                    int idx = q.newestFirst() ? lines - 1 - k : k;
                    long eventId = chunkId << INDEX_BITS | idx;
                    if (q.cursor() > 0 && (q.newestFirst() ? eventId >= q.cursor() : eventId <= q.cursor())) {
                        continue;
                    }
                    int from = starts[idx];
                    int to = starts[idx + 1] - 1; // without the newline
                    if (!filter.mayMatch(data, from, to)) {
                        continue;
                    }
                    Event e = parse(eventId, data, from, to - from);
                    if (!filter.matches(e)) {
                        continue;
                    }
                    sink.accept(new StoredEvent(eventId, e));
                    if (++delivered >= max) {
                        return false;
                    }
                }
            }
            long lastChunk = ids.getLast()[0];
            if (q.newestFirst()) {
                if (lastChunk == 0) {
                    return true;
                }
                cursorChunk = lastChunk - 1;
            } else {
                cursorChunk = lastChunk + 1;
            }
        }
    }

    /** Offsets where each JSON line starts, plus one past the end (as if the data ended with '\n'). */
    private static int[] lineStarts(byte[] data) {
        int n = 1;
        for (byte b : data) {
            if (b == '\n') {
                n++;
            }
        }
        int[] starts = new int[n + 1];
        int k = 1;
        for (int i = 0; i < data.length; i++) {
            if (data[i] == '\n') {
                starts[k++] = i + 1;
            }
        }
        starts[n] = data.length + 1;
        return starts;
    }

    private static void bind(PreparedStatement ps, List<Object> args) throws SQLException {
        for (int i = 0; i < args.size(); i++) {
            Object a = args.get(i);
            switch (a) {
                case Long l -> ps.setLong(i + 1, l);
                case byte[] b -> ps.setBytes(i + 1, b);
                default -> ps.setString(i + 1, (String) a);
            }
        }
    }

    private byte[] decompress(long chunkId, byte[] compressed) {
        long size = Zstd.getFrameContentSize(compressed);
        if (size < 0 || size > MAX_CHUNK_BYTES) {
            throw new AuditStoreException("chunk " + chunkId + " in " + file + " is corrupt (content size " + size + ")");
        }
        try {
            return decompressor.decompress(compressed, (int) size);
        } catch (ZstdException e) {
            throw new AuditStoreException("chunk " + chunkId + " in " + file + " is corrupt: " + e.getMessage(), e);
        }
    }

    private Event parse(long id, byte[] data, int off, int len) {
        try {
            return json.read(java.util.Arrays.copyOfRange(data, off, off + len));
        } catch (EventFormatException e) {
            throw new AuditStoreException("event " + id + " in " + file + " is not readable: " + e.getMessage(), e);
        }
    }

    /** The most recent sessions, newest first. */
    public List<SessionRecord> sessions(int limit) {
        return loadSessions("SELECT * FROM sessions ORDER BY coalesce(start_ns, first_ns) DESC LIMIT " + Math.max(1, limit), null);
    }

    public Optional<SessionRecord> session(String id) {
        List<SessionRecord> r = loadSessions("SELECT * FROM sessions WHERE id = ?", id);
        return r.isEmpty() ? Optional.empty() : Optional.of(r.getFirst());
    }

    private List<SessionRecord> loadSessions(String sql, String arg) {
        synchronized (readLock) {
            try (PreparedStatement ps = reader.prepareStatement(sql)) {
                if (arg != null) {
                    ps.setString(1, arg);
                }
                List<SessionRecord> out = new ArrayList<>();
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        String id = rs.getString("id");
                        String command = rs.getString("command");
                        out.add(new SessionRecord(id, rs.getString("principal"),
                                command == null ? List.of() : List.of(json.mapper().readValue(command, String[].class)),
                                rs.getString("mode"), rs.getString("sandbox"), nullableLong(rs, "start_ns"),
                                nullableLong(rs, "end_ns"), nullableInt(rs, "exit_code"), rs.getLong("first_ns"),
                                rs.getLong("last_ns"), rs.getLong("events"), List.of(), rs.getLong("events_lost"),
                                rs.getInt("loss_measured") != 0));
                    }
                }
                List<SessionRecord> withCounts = new ArrayList<>(out.size());
                for (SessionRecord r : out) {
                    withCounts.add(new SessionRecord(r.id(), r.principal(), r.command(), r.mode(), r.sandbox(), r.startNs(),
                            r.endNs(), r.exitCode(), r.firstNs(), r.lastNs(), r.events(), counts(r.id()), r.eventsLost(),
                            r.lossMeasured()));
                }
                return withCounts;
            } catch (SQLException | IOException e) {
                throw new AuditStoreException("cannot read sessions from " + file + ": " + e.getMessage(), e);
            }
        }
    }

    private List<ActionCount> counts(String session) throws SQLException {
        List<ActionCount> out = new ArrayList<>();
        try (PreparedStatement ps = reader.prepareStatement(
                "SELECT action, decision, count FROM session_counts WHERE session = ? ORDER BY action, decision")) {
            ps.setString(1, session);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    Optional<EventKind> k = EventKind.fromJsonName(rs.getString(1));
                    Optional<Verdict> v = Verdict.fromJsonName(rs.getString(2));
                    if (k.isPresent() && v.isPresent()) {
                        out.add(new ActionCount(k.get(), v.get(), rs.getLong(3)));
                    }
                }
            }
        }
        return out;
    }

    private static Long nullableLong(ResultSet rs, String col) throws SQLException {
        long v = rs.getLong(col);
        return rs.wasNull() ? null : v;
    }

    private static Integer nullableInt(ResultSet rs, String col) throws SQLException {
        int v = rs.getInt(col);
        return rs.wasNull() ? null : v;
    }

    /**
     * The end-of-session summary: counts, up to {@code maxDenials} denials (deny and would-deny,
     * oldest first) and the loss, including loss this store object has not been able to write yet.
     */
    public Optional<SessionSummary> summary(String sessionId, int maxDenials) {
        Optional<SessionRecord> rec = session(sessionId);
        long pendingCount;
        boolean pendingMeasured;
        synchronized (writeLock) {
            PendingLoss p = pendingLoss.get(sessionId);
            pendingCount = p == null ? 0 : p.count;
            pendingMeasured = p != null && p.measured;
        }
        if (rec.isEmpty() && pendingCount == 0) {
            return Optional.empty();
        }
        List<Event> denials = new ArrayList<>();
        AuditQuery denied = AuditQuery.all().withSession(sessionId).withDecisions(Set.of(Verdict.DENY, Verdict.WOULD_DENY));
        long[] totalDenials = {0};
        forEach(denied.withLimit(1000), e -> {
            if (totalDenials[0]++ < maxDenials) {
                denials.add(e.event());
            }
        });
        SessionRecord r = rec.orElse(null);
        long lostCount = (r == null ? 0 : r.eventsLost()) + pendingCount;
        boolean measured = (r != null && r.lossMeasured()) || pendingMeasured;
        return Optional.of(new SessionSummary(sessionId, r == null ? null : r.principal(),
                r == null ? List.of() : r.command(), r == null ? null : r.startNs(), r == null ? null : r.endNs(),
                r == null ? null : r.exitCode(), r == null ? 0 : r.events(), r == null ? List.of() : r.counts(), denials,
                Math.max(0, totalDenials[0] - denials.size()), new EventsLost(lostCount, measured)));
    }

    /** The session's process tree, from its recorded fork/exec/exit events. */
    public ProcessTree processTree(String sessionId) {
        List<Event> events = new ArrayList<>();
        forEach(AuditQuery.all().withSession(sessionId).withLimit(10_000)
                .withActions(Set.of(EventKind.PROCESS_FORK, EventKind.PROCESS_EXEC, EventKind.PROCESS_EXIT)),
                e -> events.add(e.event()));
        events.sort(java.util.Comparator.comparingLong(Event::timeNs));
        return ProcessTree.of(events);
    }

    /**
     * Who started {@code pid} in {@code sessionId}, as of {@code timeNs}: the process itself first,
     * then each ancestor up to the command the agent ran.
     */
    public List<ProcessStep> ancestry(String sessionId, int pid, long timeNs) {
        return processTree(sessionId).ancestry(pid, timeNs);
    }

    /** Loss reports recorded for a session (or all, when null): source, count, note. */
    public List<LossRecord> losses(String sessionId) {
        synchronized (readLock) {
            try (PreparedStatement ps = reader.prepareStatement(sessionId == null
                    ? "SELECT time_ns, session, source, count, note FROM losses ORDER BY id"
                    : "SELECT time_ns, session, source, count, note FROM losses WHERE session = ? ORDER BY id")) {
                if (sessionId != null) {
                    ps.setString(1, sessionId);
                }
                List<LossRecord> out = new ArrayList<>();
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.add(new LossRecord(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getLong(4), rs.getString(5)));
                    }
                }
                return out;
            } catch (SQLException e) {
                throw new AuditStoreException("cannot read losses from " + file + ": " + e.getMessage(), e);
            }
        }
    }

    /**
     * Stops: detaches from the bus (delivering what it queued), marks the file cleanly closed and
     * closes the connections.
     */
    @Override
    public void close() {
        Subscription s = subscription;
        if (s != null) {
            s.close();
            append(List.of());
        }
        if (checkpointer != null) {
            stopCheckpointer = true;
            checkpointer.interrupt();
            boolean interrupted = false;
            while (checkpointer.isAlive()) {
                try {
                    checkpointer.join();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
        synchronized (writeLock) {
            if (closed) {
                return;
            }
            closed = true;
            try {
                if (writer != null) {
                    try (Statement st = writer.createStatement()) {
                        st.execute("INSERT OR REPLACE INTO meta VALUES('writer_open', '0')");
                    }
                    writer.commit();
                    writer.setAutoCommit(true);
                    try (Statement st = writer.createStatement()) {
                        truncateWal(st);
                    }
                    writer.close();
                }
            } catch (SQLException e) {
                LOG.log(Level.WARNING, "audit store " + file + ": close: " + e.getMessage());
            }
        }
        synchronized (readLock) {
            try {
                reader.close();
            } catch (SQLException e) {
                LOG.log(Level.WARNING, "audit store " + file + ": close: " + e.getMessage());
            }
        }
    }
}
