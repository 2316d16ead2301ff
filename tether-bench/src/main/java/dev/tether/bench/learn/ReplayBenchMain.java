package dev.tether.bench.learn;

import dev.tether.events.Event;
import dev.tether.events.EventKind;
import dev.tether.events.EventLayer;
import dev.tether.events.ExecDetail;
import dev.tether.events.FileDetail;
import dev.tether.events.HttpDetail;
import dev.tether.events.McpDetail;
import dev.tether.events.NetworkDetail;
import dev.tether.events.Verdict;
import dev.tether.events.store.AuditQuery;
import dev.tether.events.store.AuditStore;
import dev.tether.learn.AuditStoreEvents;
import dev.tether.learn.EventSelection;
import dev.tether.learn.ProjectAliases;
import dev.tether.learn.RecordedRequests;
import dev.tether.learn.replay.Baseline;
import dev.tether.learn.replay.PolicyReplayer;
import dev.tether.learn.replay.ReplayReport;
import dev.tether.learn.suggest.PolicySuggester;
import dev.tether.learn.suggest.SuggestOptions;
import dev.tether.learn.suggest.Suggestion;
import dev.tether.policy.LoadResult;
import dev.tether.policy.PolicyLoader;
import dev.tether.policy.PolicySnapshot;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * Replay of a million recorded decisions, timed in one invocation against a baseline: a plain scan
 * of the same events through the audit store (what reading alone costs). Also times learning a
 * suggestion from them. The store is generated once (8 sessions, 2 agents, a build's mix of file
 * opens, execs, connections, proxied requests and MCP calls) and reused.
 *
 * <pre>
 * java -cp ... dev.tether.bench.learn.ReplayBenchMain [--db FILE] [--events N] [--runs R] [--prepare-only]
 * </pre>
 *
 * {@code --prepare-only} writes the store and the candidate policies ({@code suggested.cedar},
 * {@code candidate.cedar} next to the store) for {@code bench/learn/replay-cli.sh} and stops.
 */
public final class ReplayBenchMain {
    static final String PROJECT = "/home/dev/proj";
    static final int SESSIONS = 8;

    private ReplayBenchMain() {}

    public static void main(String[] args) throws Exception {
        Path db = Path.of("target/replay-bench/audit.db");
        int events = 1_000_000;
        int runs = 3;
        boolean prepareOnly = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--db" -> db = Path.of(args[++i]);
                case "--events" -> events = Integer.parseInt(args[++i]);
                case "--runs" -> runs = Integer.parseInt(args[++i]);
                case "--prepare-only" -> prepareOnly = true;
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        prepare(db, events);
        Path store = db;
        ProjectAliases aliases = new ProjectAliases(PROJECT);
        try (AuditStoreEvents recorded = AuditStoreEvents.openReadOnly(db)) {
            long t = System.nanoTime();
            Suggestion s = new PolicySuggester(SuggestOptions.defaults(aliases, List.of("/home/dev"))).suggest(recorded,
                    EventSelection.all());
            double suggestMs = (System.nanoTime() - t) / 1e6;
            Path suggested = db.resolveSibling("suggested.cedar");
            Files.writeString(suggested, s.cedar());
            // A candidate that drops one program and one directory: a change replay has to find.
            String candidateText = s.cedar().replaceAll("(?s)@id\\(\"[a-z-]*exec-usr-bin-cargo\"\\).*?;\\n", "")
                    .replaceAll("(?s)@id\\(\"[a-z-]*write-home-dev-proj-target-debug-deps\"\\).*?;\\n", "");
            Path candidateFile = db.resolveSibling("candidate.cedar");
            Files.writeString(candidateFile, candidateText);
            System.out.printf(Locale.ROOT, "suggestion: %d statements from %d events in %.0f ms%n", s.statements().size(),
                    s.eventsRead(), suggestMs);
            if (prepareOnly) {
                System.out.println("store " + db + ", candidates " + suggested + " and " + candidateFile);
                return;
            }
            PolicySnapshot candidate = load(candidateText);
            int cores = Runtime.getRuntime().availableProcessors();
            double[] scan = new double[runs];
            double[] serial = new double[runs];
            double[] parallel = new double[runs];
            ReplayReport last = null;
            for (int r = 0; r < runs; r++) {
                scan[r] = time(() -> scanOnly(store));
                ReplayReport[] out = new ReplayReport[1];
                serial[r] = time(() -> out[0] = new PolicyReplayer(aliases, 1).replay(recorded, EventSelection.all(), candidate,
                        Baseline.recorded(), 100));
                parallel[r] = time(() -> out[0] = new PolicyReplayer(aliases, cores).replay(recorded, EventSelection.all(),
                        candidate, Baseline.recorded(), 100));
                last = out[0];
                System.out.printf(Locale.ROOT, "run %d: scan %.0f ms, replay 1 thread %.0f ms, replay %d threads %.0f ms%n",
                        r + 1, scan[r], serial[r], cores, parallel[r]);
            }
            System.out.printf(Locale.ROOT, "replayed %d decisions: %d newly denied, %d newly allowed, %d unchanged%n",
                    last.decisions(), last.newlyDenied(), last.newlyAllowed(), last.unchanged());
            System.out.println();
            System.out.println("| measure (median of " + runs + ") | ms | events/s | vs scan |");
            System.out.println("| --- | --- | --- | --- |");
            row("scan only (baseline: read + parse, 1 thread)", median(scan), last.decisions(), median(scan));
            row("replay, 1 thread", median(serial), last.decisions(), median(scan));
            row("replay, " + cores + " threads", median(parallel), last.decisions(), median(scan));
        }
    }

    private static void row(String what, double ms, long n, double base) {
        System.out.printf(Locale.ROOT, "| %s | %.0f | %.0f | %.2fx |%n", what, ms, n / (ms / 1000), ms / base);
    }

    private static double median(double[] v) {
        double[] c = v.clone();
        Arrays.sort(c);
        return c[c.length / 2];
    }

    private static double time(Runnable r) {
        long t = System.nanoTime();
        r.run();
        return (System.nanoTime() - t) / 1e6;
    }

    /** Reads every decision event through the store's query API, as replay does, and does nothing else. */
    private static void scanOnly(Path db) {
        try (AuditStore store = AuditStore.openReadOnly(db)) {
            long[] n = {0};
            store.forEach(AuditQuery.all().withLimit(AuditQuery.MAX_LIMIT).withActions(RecordedRequests.KINDS)
                    .withDecisions(RecordedRequests.DECIDED), e -> n[0]++);
            if (n[0] == 0) {
                throw new IllegalStateException("empty store");
            }
        }
    }

    private static PolicySnapshot load(String text) {
        LoadResult r = PolicyLoader.parse(text, "candidate.cedar");
        if (r instanceof LoadResult.Rejected rej) {
            throw new IllegalStateException("candidate does not load: " + rej.errors());
        }
        return ((LoadResult.Loaded) r).snapshot();
    }

    /** Writes {@code n} events to a fresh store unless one with that many is there already. */
    static void prepare(Path db, int n) throws Exception {
        if (Files.exists(db)) {
            try (AuditStore store = AuditStore.openReadOnly(db)) {
                if (store.count(AuditQuery.all()) == n) {
                    return;
                }
            }
            Files.delete(db);
        }
        Files.createDirectories(db.toAbsolutePath().getParent());
        Random rnd = new Random(20261127);
        long t0 = 1_795_757_391_000_000_000L;
        try (AuditStore store = AuditStore.open(db)) {
            List<Event> batch = new ArrayList<>(AuditStore.MAX_BATCH);
            int perSession = n / SESSIONS;
            for (int i = 0; i < n; i++) {
                int session = Math.min(i / perSession, SESSIONS - 1);
                batch.add(event(rnd, "s-bench-" + session, session % 2 == 0 ? "claude" : "codex", t0 + i * 10_000L));
                if (batch.size() == AuditStore.MAX_BATCH) {
                    store.append(batch);
                    batch.clear();
                }
            }
            store.append(batch);
        }
    }

    private static final String[] LIBS = {"libc.so.6", "libz.so.1", "libssl.so.3", "libcrypto.so.3", "libstdc++.so.6",
        "libm.so.6", "libgcc_s.so.1", "libpthread.so.0"};
    private static final String[] HOSTS = {"api.anthropic.com", "registry.npmjs.org", "static.crates.io", "index.crates.io",
        "github.com"};

    private static Event event(Random r, String session, String agent, long timeNs) {
        int k = r.nextInt(100);
        Verdict v = r.nextInt(100) < 95 ? Verdict.ALLOW : r.nextBoolean() ? Verdict.WOULD_DENY : Verdict.DENY;
        Event.Builder b;
        if (k < 45) {
            String path = PROJECT + "/src/module" + r.nextInt(12) + "/file" + r.nextInt(60) + ".rs";
            b = Event.builder(EventKind.FILE_OPEN_READ_ONLY).layer(EventLayer.FANOTIFY).resource(r.nextInt(10) == 0
                    ? path.replace(PROJECT, "/workspace") : path).detail(FileDetail.open(524288, null));
        } else if (k < 60) {
            b = Event.builder(EventKind.FILE_OPEN_READ_ONLY).layer(EventLayer.FANOTIFY)
                    .resource("/usr/lib/x86_64-linux-gnu/" + LIBS[r.nextInt(LIBS.length)]).detail(FileDetail.open(524288, null));
        } else if (k < 72) {
            b = Event.builder(EventKind.FILE_OPEN_READ_WRITE).layer(EventLayer.FANOTIFY)
                    .resource(PROJECT + "/target/debug/deps/out" + r.nextInt(200) + ".o").detail(FileDetail.open(577, 420));
        } else if (k < 84) {
            String[][] cmds = {{"/usr/bin/git", "git", "status", "--short"}, {"/usr/bin/git", "git", "diff"},
                {"/usr/bin/cargo", "cargo", "build"}, {"/usr/bin/rustc", "rustc", "--crate-name", "m" + r.nextInt(40)},
                {"/usr/bin/cat", "cat", "src/lib.rs"}};
            String[] c = cmds[r.nextInt(cmds.length)];
            b = Event.builder(EventKind.PROCESS_EXEC).layer(EventLayer.FANOTIFY).resource(c[0])
                    .detail(new ExecDetail(List.of(Arrays.copyOfRange(c, 1, c.length))));
        } else if (k < 92) {
            String host = HOSTS[r.nextInt(HOSTS.length)];
            b = Event.builder(EventKind.HTTP_REQUEST).layer(EventLayer.PROXY).resource(host + ":443")
                    .detail(new HttpDetail("GET", "https://" + host + "/x", 200, null));
        } else if (k < 97) {
            String ip = "10.0." + r.nextInt(4) + "." + r.nextInt(8);
            b = Event.builder(EventKind.NETWORK_CONNECT).layer(EventLayer.CGROUP_BPF).resource(ip + ":5432")
                    .detail(new NetworkDetail(NetworkDetail.Family.INET, NetworkDetail.Protocol.TCP, ip, 5432, null));
        } else {
            String tool = r.nextBoolean() ? "read_file" : "list_directory";
            b = Event.builder(EventKind.MCP_CALL).layer(EventLayer.MCP).resource("filesystem/" + tool)
                    .detail(new McpDetail("filesystem", "stdio", "request", "tools/call", tool, "1",
                            "{\"path\":\"/workspace/src/lib.rs\"}"));
        }
        return b.timeNs(timeNs).session(session).principal(agent)
                .decision(v, v == Verdict.ALLOW ? List.of("policy0") : List.of(),
                        v == Verdict.ALLOW ? "allowed: permit policy0 at policy.cedar:1:1" : "denied: no permit matched")
                .process(4000 + r.nextInt(50), 3999, 4000).comm("worker").build();
    }
}
