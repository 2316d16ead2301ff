package dev.tether.bench.events;

import dev.tether.events.Event;
import dev.tether.events.EventJson;
import dev.tether.events.store.AuditStore;
import dev.tether.events.store.RetentionPolicy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Events per second into SQLite on the writer thread, realistic mix, batches of 8192 (the store's
 * batch size under load): the audit store's chunked writer against the obvious baseline, one
 * {@code INSERT} per event (prepared, batched, one transaction per 8192, same WAL settings,
 * the same JSON text plus time/session/action/decision columns and two indexes).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 3)
@Measurement(iterations = 5, time = 3)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class AuditStoreBenchmark {
    static final int BATCH = 8192;

    private Path dir;
    private List<Event> mix;
    private int next;
    private AuditStore store;
    private Connection raw;
    private PreparedStatement rawInsert;
    private final EventJson json = new EventJson();

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        dir = Files.createTempDirectory("tether-bench-store");
        mix = EventMix.generate(BATCH * 16, 11);
        store = AuditStore.open(dir.resolve("audit.db"), new RetentionPolicy(Duration.ofDays(30), 64L << 30));
        raw = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("raw.db"));
        try (Statement s = raw.createStatement()) {
            s.execute("PRAGMA journal_mode=WAL");
            s.execute("PRAGMA synchronous=NORMAL");
            s.execute("PRAGMA cache_size=-32768");
            s.execute("CREATE TABLE events(id INTEGER PRIMARY KEY, time_ns INTEGER NOT NULL, session TEXT,"
                    + " action TEXT NOT NULL, decision TEXT NOT NULL, json TEXT NOT NULL)");
            s.execute("CREATE INDEX events_by_session ON events(session, id)");
            s.execute("CREATE INDEX events_by_time ON events(time_ns)");
        }
        raw.setAutoCommit(false);
        rawInsert = raw.prepareStatement("INSERT INTO events(time_ns, session, action, decision, json) VALUES(?,?,?,?,?)");
    }

    @TearDown(Level.Trial)
    public void tearDown() throws SQLException, IOException {
        System.out.printf("%n[store] written=%d lost=%d file=%d MB%n", store.written(), store.lost(),
                Files.size(dir.resolve("audit.db")) >> 20);
        store.close();
        rawInsert.close();
        raw.close();
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    private List<Event> nextBatch() {
        int from = next;
        next = (next + BATCH) % mix.size();
        return mix.subList(from, from + BATCH);
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public boolean auditStoreAppend() {
        return store.append(nextBatch());
    }

    /** Baseline: a plain INSERT per event. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public int[] baselineRowPerEventInsert() throws SQLException {
        for (Event e : nextBatch()) {
            rawInsert.setLong(1, e.timeNs());
            rawInsert.setString(2, e.session());
            rawInsert.setString(3, e.kind().jsonName());
            rawInsert.setString(4, e.decision().jsonName());
            rawInsert.setString(5, json.write(e));
            rawInsert.addBatch();
        }
        int[] r = rawInsert.executeBatch();
        raw.commit();
        return r;
    }
}
