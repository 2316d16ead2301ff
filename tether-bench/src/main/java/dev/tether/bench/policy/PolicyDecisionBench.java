package dev.tether.bench.policy;

import dev.tether.policy.Decision;
import dev.tether.policy.LoadResult;
import dev.tether.policy.PolicyLoader;
import dev.tether.policy.PolicySnapshot;
import dev.tether.policy.Request;
import dev.tether.policy.cedar.CedarReference;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Decision latency of the compiled snapshot against cedar-java's authorizer on the same
 * requests, at 10, 100 and 1,000 statements. Both sides decide the same cycle of 4,096
 * requests; cedar-java's side includes building the request's entities (it needs them).
 * Run via {@link PolicyBenchMain}, which prints p50/p99 and the ratio.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
public class PolicyDecisionBench {
    @Param({"10", "100", "1000"})
    int statements;

    private PolicySnapshot snapshot;
    private CedarReference cedar;
    private Request[] requests;
    private int next;

    @Setup(Level.Trial)
    public void setUp() {
        LoadResult r = PolicyLoader.parse(BenchPolicies.policy(statements, 42), "bench.cedar");
        if (!(r instanceof LoadResult.Loaded l)) {
            throw new IllegalStateException("benchmark policy does not load: " + r.findings());
        }
        snapshot = l.snapshot();
        cedar = new CedarReference(snapshot);
        List<Request> list = BenchPolicies.requests(statements, 4096, 7);
        requests = list.toArray(Request[]::new);
        // both sides must agree on every benchmark request, or the comparison means nothing
        int allowed = 0;
        for (Request q : requests) {
            Decision d = snapshot.decide(q);
            if (d.allowed() != cedar.decide(q).allowed()) {
                throw new IllegalStateException("engine and cedar-java disagree on " + q);
            }
            allowed += d.allowed() ? 1 : 0;
        }
        if (allowed == 0 || allowed == requests.length) {
            throw new IllegalStateException("benchmark requests are all allowed or all denied");
        }
    }

    @Benchmark
    public Decision tether() {
        Request q = requests[next++ & 4095];
        return snapshot.decide(q);
    }

    @Benchmark
    public CedarReference.Answer cedarJava() {
        Request q = requests[next++ & 4095];
        return cedar.decide(q);
    }
}
