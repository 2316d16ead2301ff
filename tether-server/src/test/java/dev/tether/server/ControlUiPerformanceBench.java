package dev.tether.server;

import dev.tether.events.Verdict;
import dev.tether.server.spi.ActivityEvent;
import dev.tether.server.testing.HeadlessChromium;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.chrome.ChromeDriver;

/**
 * Measures the Control UI in headless Chromium: page load to a rendered table with 10,000 events
 * of backlog against an empty backlog, and main-thread responsiveness (event-loop lag, frame
 * intervals, event delivery lag) idle against a 1,000 events/s live stream, both in this one run.
 * Not a pass/fail test: it prints and writes target/ui-benchmark.txt. Run with
 * {@code ./mvnw -pl tether-server -am verify -Dtether.bench.ui=true -Dtest=ControlUiPerformanceBench -Dsurefire.failIfNoSpecifiedTests=false}.
 */
@EnabledIfSystemProperty(named = "tether.bench.ui", matches = "true")
class ControlUiPerformanceBench {
    @TempDir Path dir;

    static final String[] ACTIONS = {"FileOpenReadOnly", "FileOpenReadWrite", "ProcessExec", "NetworkConnect", "McpCall"};

    static ActivityEvent synthetic(int i) {
        String action = ACTIONS[i % ACTIONS.length];
        String resource = switch (action) {
            case "NetworkConnect" -> "host" + (i % 97) + ".example.com:443";
            case "ProcessExec" -> "/usr/bin/tool" + (i % 31);
            case "McpCall" -> "tool_" + (i % 13);
            default -> "/workspace/src/module" + (i % 211) + "/file" + i + ".java";
        };
        Verdict v = i % 7 == 0 ? Verdict.DENY : Verdict.ALLOW;
        ActivityEvent base = ControlPlaneFixture.event("s" + (i % 3), "claude", action, resource, v);
        return new ActivityEvent(0, System.currentTimeMillis() * 1_000_000L, base.session(), base.agent(), 1000 + i % 50,
                999, "node", "/usr/bin/node", action, resource, v, base.policyIds(), base.reason(), base.processChain(),
                Map.of("argv", List.of("node", "script" + i + ".js")));
    }

    @Test
    void loadAndResponsiveness() throws Exception {
        StringBuilder report = new StringBuilder();
        try (HeadlessChromium chromium = new HeadlessChromium()) {
            ChromeDriver d = chromium.driver();
            double[] emptyLoads = new double[5];
            double[] fullLoads = new double[5];
            for (int run = 0; run < 5; run++) {
                emptyLoads[run] = loadOnce(d, 0);
                fullLoads[run] = loadOnce(d, 10_000);
            }
            report.append(String.format(Locale.ROOT,
                    "load to rendered table, median of 5: empty backlog %.0f ms, 10,000-event backlog %.0f ms (ratio %.2f)%n",
                    median(emptyLoads), median(fullLoads), median(fullLoads) / median(emptyLoads)));
            report.append("  runs empty: ").append(Arrays.toString(emptyLoads)).append('\n');
            report.append("  runs 10k:   ").append(Arrays.toString(fullLoads)).append('\n');

            try (ControlPlaneFixture f = new ControlPlaneFixture(Files.createTempDirectory(dir, "stream"))) {
                for (int i = 0; i < 10_000; i++) {
                    f.events.publish(synthetic(i));
                }
                d.get(f.plane.openUri().toString());
                waitRendered(d, 10_000);
                Map<String, Object> idle = probe(d, 10_000, null, 0);
                int seconds = 10;
                Map<String, Object> loaded = probe(d, seconds * 1000, f, 1000);
                long received = ((Number) d.executeScript("return window.tetherStats.eventsReceived")).longValue();
                report.append(String.format(Locale.ROOT, "responsiveness, idle vs 1,000 events/s for %d s (%d events received of %d):%n",
                        seconds, received - 10_000, seconds * 1000));
                for (String k : List.of("lagP50", "lagP99", "lagMax", "frameP50", "frameP99", "frameMax", "deliveryP50", "deliveryP99")) {
                    report.append(String.format(Locale.ROOT, "  %-12s idle %7.1f ms   loaded %7.1f ms%n", k,
                            ((Number) idle.getOrDefault(k, 0)).doubleValue(), ((Number) loaded.getOrDefault(k, 0)).doubleValue()));
                }
                chromium.screenshot("bench-under-load");
            }
        }
        System.out.print(report);
        Files.createDirectories(Path.of("target"));
        Files.writeString(Path.of("target", "ui-benchmark.txt"), report);
    }

    private double loadOnce(ChromeDriver d, int backlog) throws Exception {
        Path sub = Files.createTempDirectory(dir, "load");
        try (ControlPlaneFixture f = new ControlPlaneFixture(sub)) {
            for (int i = 0; i < backlog; i++) {
                f.events.publish(synthetic(i));
            }
            d.get("about:blank");
            d.get(f.plane.openUri().toString());
            waitRendered(d, backlog);
            // performance.now() counts from navigation start.
            return ((Number) d.executeScript("return window.tetherStats.backlogRenderedAt")).doubleValue();
        }
    }

    private static void waitRendered(ChromeDriver d, int backlog) throws InterruptedException {
        for (int i = 0; i < 600; i++) {
            Object v = d.executeScript("return window.tetherStats && window.tetherStats.backlogRenderedAt > 0"
                    + " && window.tetherStats.backlogSize === arguments[0]", backlog);
            if (Boolean.TRUE.equals(v)) {
                return;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("the page never rendered its backlog of " + backlog);
    }

    /**
     * Runs an in-page probe for {@code millis}: a 10 ms interval timer (lateness = event-loop lag)
     * and requestAnimationFrame (frame intervals). Meanwhile publishes {@code perSecond} events/s if
     * a fixture is given.
     */
    @SuppressWarnings("unchecked")
    private Map<String, Object> probe(ChromeDriver d, int millis, ControlPlaneFixture f, int perSecond) throws Exception {
        d.executeScript("""
                const s = window.tetherProbe = {lags: [], frames: [], done: false};
                window.tetherStats.deliveryLagMs.length = 0;
                let last = performance.now();
                const iv = setInterval(() => { const now = performance.now(); s.lags.push(now - last - 10); last = now; }, 10);
                let lf = performance.now();
                const raf = (t) => { s.frames.push(t - lf); lf = t; if (!s.done) requestAnimationFrame(raf); };
                requestAnimationFrame(raf);
                setTimeout(() => { s.done = true; clearInterval(iv); }, arguments[0]);
                """, millis);
        long start = System.nanoTime();
        int i = 100_000;
        if (f != null) {
            // 10 events every 10 ms: 1,000/s, paced against the wall clock.
            long tick = 0;
            while (System.nanoTime() - start < millis * 1_000_000L) {
                long due = start + tick * 10_000_000L;
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    Thread.sleep(wait / 1_000_000L, (int) (wait % 1_000_000L));
                }
                for (int k = 0; k < perSecond / 100; k++) {
                    f.events.publish(synthetic(i++));
                }
                tick++;
            }
        } else {
            Thread.sleep(millis);
        }
        Thread.sleep(300);
        return (Map<String, Object>) d.executeScript("""
                const s = window.tetherProbe;
                const q = (a, p) => { if (!a.length) return 0; const b = a.slice().sort((x, y) => x - y); return b[Math.min(b.length - 1, Math.floor(p * b.length))]; };
                const dl = window.tetherStats.deliveryLagMs;
                return {lagP50: q(s.lags, .5), lagP99: q(s.lags, .99), lagMax: Math.max(...s.lags),
                        frameP50: q(s.frames, .5), frameP99: q(s.frames, .99), frameMax: Math.max(...s.frames),
                        deliveryP50: q(dl, .5), deliveryP99: q(dl, .99)};
                """);
    }

    private static double median(double[] xs) {
        double[] c = xs.clone();
        Arrays.sort(c);
        return c[c.length / 2];
    }

    static List<Double> list(double[] xs) {
        List<Double> out = new ArrayList<>();
        for (double x : xs) {
            out.add(x);
        }
        return out;
    }
}
