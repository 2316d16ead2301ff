package dev.tether.bench.policy;

import java.util.Collection;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.CommandLineOptionException;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.util.Statistics;

/**
 * Runs {@link PolicyDecisionBench} and prints, per policy size, the compiled engine's and
 * cedar-java's p50/p99 decision latency and their ratio (all from the same invocation).
 */
public final class PolicyBenchMain {
    private PolicyBenchMain() {}

    /** Accepts JMH's own flags (e.g. {@code -wi 1 -i 2 -p statements=1000}) to override the defaults. */
    public static void main(String[] args) throws RunnerException, CommandLineOptionException {
        Options opts = new OptionsBuilder().parent(new CommandLineOptions(args))
                .include(PolicyDecisionBench.class.getName() + "\\.").build();
        Collection<RunResult> results = new Runner(opts).run();
        Map<Integer, double[]> rows = new TreeMap<>();
        for (RunResult rr : results) {
            int n = Integer.parseInt(rr.getParams().getParam("statements"));
            Statistics s = rr.getPrimaryResult().getStatistics();
            double[] row = rows.computeIfAbsent(n, k -> new double[4]);
            boolean ours = rr.getParams().getBenchmark().endsWith(".tether");
            row[ours ? 0 : 2] = s.getPercentile(50);
            row[ours ? 1 : 3] = s.getPercentile(99);
        }
        System.out.println();
        System.out.println("| statements | tether p50 | tether p99 | cedar-java p50 | cedar-java p99 | ratio p50 |");
        System.out.println("| --- | --- | --- | --- | --- | --- |");
        for (Map.Entry<Integer, double[]> e : rows.entrySet()) {
            double[] r = e.getValue();
            System.out.println(String.format(Locale.ROOT, "| %d | %s | %s | %s | %s | %.0fx |", e.getKey(), fmt(r[0]),
                    fmt(r[1]), fmt(r[2]), fmt(r[3]), r[2] / r[0]));
        }
    }

    private static String fmt(double ns) {
        return ns >= 10_000 ? String.format(Locale.ROOT, "%.0f µs", ns / 1000) : String.format(Locale.ROOT, "%.0f ns", ns);
    }
}
