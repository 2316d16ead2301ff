package dev.tether.cli.control;

import dev.tether.events.Event;
import dev.tether.events.EventKind;
import dev.tether.events.store.AuditPage;
import dev.tether.events.store.AuditQuery;
import dev.tether.events.store.AuditStore;
import dev.tether.events.store.AuditStoreException;
import dev.tether.events.store.StoredEvent;
import dev.tether.server.spi.ActivityEvent;
import dev.tether.server.spi.EventPage;
import dev.tether.server.spi.EventQuery;
import dev.tether.server.spi.EventSource;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

/**
 * The control plane's events, read from the host's audit store: queries page through it, and the
 * live feed follows it (every event committed after the last one seen, in write order).
 *
 * <p>Why follow the store rather than the event bus: an event's {@code seq} must be the same
 * number on the live stream and in queries (it is the paging cursor, the stream's de-duplication
 * key and what "allow this" names). The store assigns event ids when it commits a batch, so the
 * feed hands events on once they are committed, with those ids. It also means one control plane
 * shows every session recorded on the host, including sessions other tether processes run. The
 * cost is latency: the bus delivers to the store within ~10 ms, the store commits, and the feed
 * polls every {@link #DEFAULT_POLL}.
 *
 * <p>The session's own events need not be read back: with the session's writer in the same
 * process, the store hands each committed batch (with its ids) to the feed, which delivers it as
 * it is, and reads from the store only what lies between (other processes' events) and what
 * appears without it. Reading back and decoding every event cost ~27 µs of CPU each (~0.5 s in a
 * zlib build's session), the largest per-event cost of a monitor-only session.
 */
final class AuditEventSource implements EventSource, AutoCloseable {
    private static final System.Logger LOG = System.getLogger(AuditEventSource.class.getName());
    static final Duration DEFAULT_POLL = Duration.ofMillis(100);
    /** Events handed to subscribers per store read; a backlog larger than this is read in several. */
    static final int FEED_BATCH = 4096;
    /** Events a filtered query examines before it answers with what it found and a cursor to go on from. */
    static final int QUERY_SCAN_BUDGET = 200_000;
    private static final int SCAN_PAGE = 4096;
    /** How often an idle feed checks that the store's ids did not restart (everything deleted by retention). */
    private static final long RESTART_CHECK_NANOS = Duration.ofSeconds(5).toNanos();

    private final AuditReader reader;
    private final Duration poll;
    private final ActivityEvents activity = new ActivityEvents();
    private final ProcessChains chains = new ProcessChains();
    private final List<Consumer<ActivityEvent>> subscribers = new CopyOnWriteArrayList<>();
    private final Thread feed;
    private volatile boolean closed;
    private long cursor; // feed thread only after construction
    /** The cursor is the last event of its chunk: a store query can start at the next chunk. Feed thread only. */
    private boolean cursorAtChunkEnd = true;
    /** Batches the same-process writer committed, in commit order, not yet taken by the feed. */
    private final java.util.concurrent.ConcurrentLinkedQueue<List<StoredEvent>> committed =
            new java.util.concurrent.ConcurrentLinkedQueue<>();
    private final AutoCloseable committedSubscription;
    /** Published before a batch is handed on (see {@link #deliveredThrough}); -1 until known. */
    private volatile long deliveredThrough = -1;
    private boolean cursorSet; // feed thread only after construction

    AuditEventSource(AuditReader reader, Duration poll) {
        this(reader, poll, null);
    }

    /**
     * @param sameProcessWriter the session's own writable store on the same file, or null: its
     *                          committed batches reach the feed without a read back
     */
    AuditEventSource(AuditReader reader, Duration poll, AuditStore sameProcessWriter) {
        this.reader = reader;
        this.poll = poll;
        // Before the cursor is taken: a batch committed in between is in the queue (and skipped
        // there if the cursor already covers it), never lost between the two.
        committedSubscription = sameProcessWriter == null ? null : sameProcessWriter.onCommitted(committed::add);
        reader.store().ifPresent(s -> {
            cursor = newestId(s);
            cursorSet = true;
            deliveredThrough = cursor;
        });
        feed = Thread.ofPlatform().daemon().name("tether-ui-feed").start(this::follow);
    }

    private static long newestId(AuditStore s) {
        List<StoredEvent> newest = s.query(AuditQuery.all().before(0).withLimit(1)).events();
        return newest.isEmpty() ? 0 : newest.getFirst().id();
    }

    // ------------------------------------------------------------------ live feed

    private void follow() {
        long lastRestartCheck = System.nanoTime();
        boolean warned = false;
        while (!closed) {
            boolean more = false;
            try {
                Optional<AuditStore> store = reader.store();
                if (store.isPresent()) {
                    AuditStore s = store.get();
                    if (!cursorSet) {
                        cursor = 0; // the database appeared after we started: everything in it is new
                        cursorSet = true;
                        deliveredThrough = 0;
                    }
                    List<StoredEvent> mine = committed.poll();
                    if (mine != null) {
                        deliverCommitted(s, mine);
                        more = true; // the rest of the queue next, then one look at the store
                        warned = false;
                        continue;
                    }
                    AuditPage page = s.query(AuditQuery.all().withLimit(FEED_BATCH).after(storeCursor()));
                    if (!page.events().isEmpty()) {
                        deliver(s, page.events());
                        cursor = page.events().getLast().id();
                        more = page.more();
                        cursorAtChunkEnd = !page.more();
                    } else if (System.nanoTime() - lastRestartCheck > RESTART_CHECK_NANOS) {
                        lastRestartCheck = System.nanoTime();
                        long newest = newestId(s);
                        if (newest < cursor) {
                            cursor = newest;
                            cursorAtChunkEnd = true;
                            deliveredThrough = newest;
                        }
                    }
                    warned = false;
                }
            } catch (AuditStoreException | IllegalStateException e) {
                if (!warned && !closed) {
                    LOG.log(Level.WARNING, "control plane: cannot read the audit store " + reader.file() + ": "
                            + e.getMessage() + " (retrying)");
                    warned = true;
                }
            }
            if (!more && !closed) {
                LockSupport.parkNanos(poll.toNanos());
            }
        }
    }

    /** Where a store read starts: past the whole chunk when the cursor ends one. */
    private long storeCursor() {
        return cursorAtChunkEnd && cursor > 0 ? AuditStore.endOfChunk(cursor) : cursor;
    }

    /**
     * A batch the same-process writer committed. Delivered as it is when nothing can lie between
     * the cursor and it (the cursor ends a chunk and the batch starts the next one); otherwise
     * the store is read up to it first (another process's events, or the rest of a chunk the
     * feed read in part), so the feed stays in id order and misses nothing.
     */
    private void deliverCommitted(AuditStore s, List<StoredEvent> batch) {
        int from = 0;
        while (from < batch.size() && batch.get(from).id() <= cursor) {
            from++; // already read from the store before this batch was taken from the queue
        }
        if (from == batch.size()) {
            return;
        }
        List<StoredEvent> fresh = batch.subList(from, batch.size());
        long first = fresh.getFirst().id();
        boolean adjacent = cursorAtChunkEnd && AuditStore.indexInChunk(first) == 0
                && AuditStore.chunkOf(first) == AuditStore.chunkOf(cursor) + 1;
        if (!adjacent) {
            while (!closed) {
                AuditPage page = s.query(AuditQuery.all().withLimit(FEED_BATCH).after(storeCursor()));
                List<StoredEvent> before = page.events().stream().filter(e -> e.id() < first).toList();
                if (!before.isEmpty()) {
                    deliver(s, before);
                    cursor = before.getLast().id();
                    cursorAtChunkEnd = false;
                }
                if (before.size() < page.events().size() || !page.more()) {
                    break;
                }
            }
        }
        // The process trees take the batch's own fork/exec/exit events, not a read of the store.
        chains.catchUpWith(s, fresh, cursor);
        deliver(s, fresh);
        cursor = fresh.getLast().id();
        cursorAtChunkEnd = true;
    }

    private void deliver(AuditStore s, List<StoredEvent> batch) {
        // Before handing the batch on: a stream connecting meanwhile takes these from its backlog
        // (and drops the copies it is also handed), so none falls between backlog and live.
        deliveredThrough = batch.getLast().id();
        chains.catchUp(s, batch);
        for (StoredEvent se : batch) {
            ActivityEvent a = activity.from(se.id(), se.event(), chains.chain(s, se.id(), se.event()));
            for (Consumer<ActivityEvent> c : subscribers) {
                try {
                    c.accept(a);
                } catch (RuntimeException ex) {
                    LOG.log(Level.WARNING, "control plane: an event subscriber failed", ex);
                }
            }
        }
    }

    @Override
    public java.util.OptionalLong deliveredThrough() {
        long d = deliveredThrough;
        return d < 0 ? java.util.OptionalLong.empty() : java.util.OptionalLong.of(d);
    }

    @Override
    public AutoCloseable subscribe(String name, Consumer<ActivityEvent> consumer) {
        subscribers.add(consumer);
        return () -> subscribers.remove(consumer);
    }

    // ------------------------------------------------------------------ queries

    @Override
    public EventPage query(EventQuery q) {
        Optional<AuditStore> store = reader.store();
        if (store.isEmpty()) {
            return new EventPage(List.of(), null);
        }
        AuditStore s = store.get();
        AuditQuery aq = AuditQuery.all().withLimit(SCAN_PAGE);
        if (q.session() != null) {
            aq = aq.withSession(q.session());
        }
        if (q.action() != null) {
            Optional<EventKind> kind = EventKind.fromJsonName(q.action());
            if (kind.isEmpty()) {
                return new EventPage(List.of(), null); // no event was ever recorded under that name
            }
            aq = aq.withActions(Set.of(kind.get()));
        }
        if (q.verdict() != null) {
            aq = aq.withDecisions(Set.of(q.verdict()));
        }
        String needle = q.text() == null || q.text().isEmpty() ? null : q.text().toLowerCase(Locale.ROOT);
        // Newest first from the cursor; the store filters session, action and decision itself, the
        // text (case-insensitive, on chosen fields) is matched here.
        long before = q.beforeSeq() != null ? q.beforeSeq() : 0;
        if (q.beforeSeq() != null && before <= 0) {
            return new EventPage(List.of(), null);
        }
        List<StoredEvent> found = new ArrayList<>(Math.min(q.limit() + 1, 1024));
        long examined = 0;
        long lastExamined = -1;
        boolean exhausted = false;
        scan:
        while (true) {
            AuditPage page = s.query(aq.before(before));
            for (StoredEvent se : page.events()) {
                if (q.afterSeq() != null && se.id() <= q.afterSeq()) {
                    exhausted = true;
                    break scan;
                }
                examined++;
                lastExamined = se.id();
                if (needle == null || matches(se.event(), needle)) {
                    found.add(se);
                    if (found.size() > q.limit()) {
                        break scan;
                    }
                }
            }
            if (!page.more()) {
                exhausted = true;
                break;
            }
            before = page.events().getLast().id();
            if (examined >= QUERY_SCAN_BUDGET) {
                break;
            }
        }
        Long next;
        if (found.size() > q.limit()) {
            found = found.subList(0, q.limit());
            next = found.getLast().id();
        } else if (!exhausted && lastExamined > 0) {
            next = lastExamined; // budget spent: the client goes on from where the scan stopped
        } else {
            next = null;
        }
        chains.catchUp(s, found);
        List<ActivityEvent> out = new ArrayList<>(found.size());
        for (StoredEvent se : found) {
            out.add(activity.from(se.id(), se.event(), chains.chain(s, se.id(), se.event())));
        }
        return new EventPage(out, next);
    }

    /** The text filter of docs/api.md: resource, process name, executable, action and reason, ignoring case. */
    static boolean matches(Event e, String lowerNeedle) {
        return contains(e.resource(), lowerNeedle) || contains(e.comm(), lowerNeedle) || contains(e.exe(), lowerNeedle)
                || contains(e.kind().jsonName(), lowerNeedle) || contains(e.reason(), lowerNeedle);
    }

    private static boolean contains(String hay, String lowerNeedle) {
        return hay != null && hay.toLowerCase(Locale.ROOT).contains(lowerNeedle);
    }

    @Override
    public void close() {
        closed = true;
        if (committedSubscription != null) {
            try {
                committedSubscription.close();
            } catch (Exception ignored) {
                // only a list removal
            }
        }
        LockSupport.unpark(feed);
        try {
            feed.join(Duration.ofSeconds(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
