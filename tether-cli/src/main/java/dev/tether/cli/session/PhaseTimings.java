package dev.tether.cli.session;

import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Where a session's wall time goes, phase by phase, printed at the end when {@code TETHER_TIMINGS}
 * is set. The first phase starts at the JVM's own start (so JVM boot and class loading are in it).
 * Not thread-safe: one session's main thread marks.
 */
final class PhaseTimings {
    private record Phase(String name, long endNs) {}

    private final boolean enabled;
    private final long originNs;
    private final List<Phase> phases = new ArrayList<>();
    private final List<String> notes = new ArrayList<>();

    private PhaseTimings(boolean enabled, long originNs) {
        this.enabled = enabled;
        this.originNs = originNs;
    }

    /** Timings from the JVM's start when {@code TETHER_TIMINGS} is set in the environment; else a no-op. */
    static PhaseTimings fromEnvironment() {
        boolean on = System.getenv("TETHER_TIMINGS") != null;
        long jvmAgeNs = ProcessHandle.current().info().startInstant()
                .map(start -> Duration.between(start, Instant.now()).toNanos()).orElse(0L);
        return new PhaseTimings(on, System.nanoTime() - Math.max(0, jvmAgeNs));
    }

    /** Ends the current phase, named for what it did. */
    void mark(String name) {
        if (enabled) {
            phases.add(new Phase(name, System.nanoTime()));
        }
    }

    /** Whether timings are being collected (so callers can skip computing a {@link #note}). */
    boolean enabled() {
        return enabled;
    }

    /** A line printed after the phases (e.g. how long the file gate spent per decision). */
    void note(String line) {
        if (enabled) {
            notes.add(line);
        }
    }

    void print(PrintWriter err) {
        if (!enabled) {
            return;
        }
        long from = originNs;
        for (Phase p : phases) {
            err.printf(Locale.ROOT, "tether: timing %7.1f ms  %s%n", (p.endNs() - from) / 1e6, p.name());
            from = p.endNs();
        }
        err.printf(Locale.ROOT, "tether: timing %7.1f ms  total since the JVM started%n", (from - originNs) / 1e6);
        for (String n : notes) {
            err.println("tether: timing " + n);
        }
        err.flush();
    }
}
