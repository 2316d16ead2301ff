package dev.tether.cli.session;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Where a session's wall time goes, phase by phase, printed at the end when {@code TETHER_TIMINGS}
 * is set. The first phase starts at the process's start (the launcher script execs the JVM in the
 * same process, so the launcher, JVM boot and class loading are in it); in a spare, at the start of
 * the client that handed the command over.
 * One session's main thread marks; notes (and {@link #timed} steps) may come from any thread.
 */
final class PhaseTimings {
    private record Phase(String name, long endNs) {}

    private final boolean enabled;
    private final long originNs;
    private final List<Phase> phases = new ArrayList<>();
    private final List<String> notes = new java.util.concurrent.CopyOnWriteArrayList<>();

    private PhaseTimings(boolean enabled, long originNs) {
        this.enabled = enabled;
        this.originNs = originNs;
    }

    /** Timings from the JVM's start when {@code TETHER_TIMINGS} is set in the environment; else a no-op. */
    static PhaseTimings fromEnvironment() {
        boolean on = System.getenv("TETHER_TIMINGS") != null;
        long ageNs = 0;
        if (on) {
            try {
                // A spare's session counts from its client's start (the launcher and tether-attach).
                String client = System.getProperty("tether.spare.client");
                Path stat = Path.of("/proc", client != null ? client : "self", "stat");
                ageNs = processAgeNs(Files.readString(stat), Files.readString(Path.of("/proc/uptime")));
            } catch (IOException | RuntimeException e) {
                ageNs = 0; // the first phase then starts here, and its line says so
            }
        }
        PhaseTimings timings = new PhaseTimings(on, System.nanoTime() - ageNs);
        if (on && ageNs > 0) {
            handoverNote(System.getProperty("tether.spare.handover"), timings.originNs).ifPresent(timings::note);
        }
        return timings;
    }

    /**
     * For a session a spare took: when it accepted the client's connection and when it had taken
     * the command ({@code "acceptedNs,takenNs"}, nanoTime, set by {@code SpareProcess}), counted
     * from the client's start.
     */
    static java.util.Optional<String> handoverNote(String handover, long originNs) {
        if (handover == null || !handover.matches("-?\\d{1,19},-?\\d{1,19}")) {
            return java.util.Optional.empty();
        }
        String[] ns = handover.split(",");
        return java.util.Optional.of(String.format(Locale.ROOT, "spare: the client's connection accepted %.1f ms and"
                + " its command taken (request read and checked, stdio taken) %.1f ms after the client started",
                (Long.parseLong(ns[0]) - originNs) / 1e6, (Long.parseLong(ns[1]) - originNs) / 1e6));
    }

    /**
     * How long ago the process started, from the kernel's own clock since boot: {@code /proc/uptime}
     * minus the process's start time in {@code /proc/self/stat} (clock ticks, 100 per second for
     * every /proc reader). Not {@code ProcessHandle.info().startInstant()}: that adds the start to
     * the boot time {@code /proc/stat} gives in whole seconds, up to a second off (0.55 s on the
     * host where this was found, all of it reported as JVM start-up).
     */
    static long processAgeNs(String procSelfStat, String procUptime) {
        String[] after = dev.tether.cli.spare.ProcessContext.statFieldsAfterName(procSelfStat);
        long startTicks = Long.parseLong(after[19]); // field 22, starttime; "after" begins at field 3
        double uptimeSeconds = Double.parseDouble(procUptime.trim().split("\\s+")[0]);
        long ageNs = Math.round(uptimeSeconds * 1e9) - startTicks * 10_000_000L;
        return Math.max(0, ageNs);
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

    /**
     * {@code step}, noting how long it took when it runs (on whatever thread): the steps a phase
     * runs side by side show which of them the phase waited for.
     */
    <T> java.util.concurrent.Callable<T> timed(String name, java.util.concurrent.Callable<T> step) {
        if (!enabled) {
            return step;
        }
        return () -> {
            long start = System.nanoTime();
            try {
                return step.call();
            } finally {
                note(String.format(Locale.ROOT, "step %s: %.1f ms, from %.1f ms after the process started", name,
                        (System.nanoTime() - start) / 1e6, (start - originNs) / 1e6));
            }
        };
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
        err.printf(Locale.ROOT, "tether: timing %7.1f ms  total since the process started%n", (from - originNs) / 1e6);
        for (String n : notes) {
            err.println("tether: timing " + n);
        }
        err.flush();
    }
}
