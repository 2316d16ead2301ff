package dev.tether.bench.events;

import dev.tether.events.Event;
import dev.tether.events.EventBus;
import dev.tether.events.EventJson;
import dev.tether.events.Subscription;
import dev.tether.events.store.AuditQuery;
import dev.tether.events.store.AuditStore;
import dev.tether.events.store.RetentionPolicy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.locks.LockSupport;

/**
 * End to end at a fixed rate: one publisher thread (standing in for the kernel consumer) publishes
 * a realistic mix at {@code rate} events/s for {@code seconds} into an {@link EventBus} whose only
 * subscriber is the sink under test, with the store's default queue. Prints what was published,
 * written and dropped. Sinks: {@code store} (the {@link AuditStore}) and {@code rows} (the
 * baseline: one INSERT per event, same queue, same batches).
 *
 * <p>Usage: {@code SustainedIngest store|rows RATE SECONDS}
 */
public final class SustainedIngest {
    private SustainedIngest() {}

    public static void main(String[] args) throws Exception {
        String sink = args[0];
        long rate = Long.parseLong(args[1]);
        int seconds = Integer.parseInt(args[2]);
        Path dir = Files.createTempDirectory("tether-ingest");
        List<Event> pool = EventMix.generate(1 << 16, 17);
        try (EventBus bus = new EventBus()) {
            Subscription sub;
            AuditStore store = null;
            RowPerEvent rows = null;
            if (sink.equals("store")) {
                store = AuditStore.open(dir.resolve("audit.db"), new RetentionPolicy(Duration.ofDays(30), 64L << 30));
                sub = store.attach(bus);
            } else {
                rows = new RowPerEvent(dir.resolve("rows.db"));
                sub = bus.subscribeBatches("rows", AuditStore.DEFAULT_QUEUE, AuditStore.MAX_BATCH, rows::write);
            }
            long slots = seconds * 1000L;
            long perSlot = rate / 1000;
            long start = System.nanoTime();
            long published = 0;
            int next = 0;
            for (long slot = 0; slot < slots; slot++) {
                long due = start + slot * 1_000_000L;
                while (System.nanoTime() < due) {
                    LockSupport.parkNanos(50_000);
                }
                for (long i = 0; i < perSlot; i++) {
                    bus.publish(pool.get(next));
                    next = (next + 1) & (pool.size() - 1);
                }
                published += perSlot;
            }
            long publishEnd = System.nanoTime();
            sub.awaitDelivered(Duration.ofMinutes(10));
            long drained = System.nanoTime();
            long written = store != null ? store.count(AuditQuery.all()) : rows.written;
            double offered = published / ((publishEnd - start) / 1e9);
            double achieved = written / ((drained - start) / 1e9);
            long writerCpu = threadCpuNanos("tether-bus-");
            System.out.printf("ingest sink=%s offered=%.0f/s for %ds: published=%d written=%d dropped=%d lost=%d "
                            + "achieved=%.0f/s backlog-drain=%.2fs writer-cpu=%.0f ns/event (capacity %.0f events per "
                            + "writer-CPU-second)%n",
                    sink, offered, seconds, published, written, sub.dropped(), store != null ? store.lost() : 0,
                    achieved, (drained - publishEnd) / 1e9, (double) writerCpu / Math.max(1, sub.delivered()),
                    sub.delivered() / (writerCpu / 1e9));
            if (store != null) {
                store.close();
            } else {
                sub.close();
                rows.close();
            }
        } finally {
            try (var files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /** CPU time so far of the live threads whose name starts with {@code prefix}. */
    static long threadCpuNanos(String prefix) {
        java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
        long total = 0;
        for (java.lang.management.ThreadInfo t : mx.getThreadInfo(mx.getAllThreadIds())) {
            if (t != null && t.getThreadName().startsWith(prefix)) {
                total += Math.max(0, mx.getThreadCpuTime(t.getThreadId()));
            }
        }
        return total;
    }

    /** The baseline sink: one row per event, the same columns plus the JSON text, two indexes. */
    static final class RowPerEvent {
        private final Connection c;
        private final PreparedStatement ins;
        private final EventJson json = new EventJson();
        long written;

        RowPerEvent(Path file) throws SQLException {
            c = DriverManager.getConnection("jdbc:sqlite:" + file);
            try (Statement s = c.createStatement()) {
                s.execute("PRAGMA journal_mode=WAL");
                s.execute("PRAGMA synchronous=NORMAL");
                s.execute("PRAGMA cache_size=-32768");
                s.execute("CREATE TABLE events(id INTEGER PRIMARY KEY, time_ns INTEGER NOT NULL, session TEXT,"
                        + " action TEXT NOT NULL, decision TEXT NOT NULL, json TEXT NOT NULL)");
                s.execute("CREATE INDEX events_by_session ON events(session, id)");
                s.execute("CREATE INDEX events_by_time ON events(time_ns)");
            }
            c.setAutoCommit(false);
            ins = c.prepareStatement("INSERT INTO events(time_ns, session, action, decision, json) VALUES(?,?,?,?,?)");
        }

        void write(List<Event> batch) {
            try {
                for (Event e : batch) {
                    ins.setLong(1, e.timeNs());
                    ins.setString(2, e.session());
                    ins.setString(3, e.kind().jsonName());
                    ins.setString(4, e.decision().jsonName());
                    ins.setString(5, json.write(e));
                    ins.addBatch();
                }
                ins.executeBatch();
                c.commit();
                written += batch.size();
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
        }

        void close() throws SQLException {
            ins.close();
            c.close();
        }
    }
}
