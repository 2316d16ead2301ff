package dev.tether.sandbox.limits;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Resource caps for everything one sandbox runs: its number of tasks (processes and threads)
 * and its memory. They keep a fork bomb or a runaway build inside the sandbox from starving the
 * host and tether itself. 0 means "no cap".
 *
 * @param pids most tasks at once (the pids controller counts threads too)
 * @param memoryBytes most memory charged to the sandbox (page cache included, as the kernel counts it)
 */
public record SessionLimits(long pids, long memoryBytes) {
    /** Enough for an agent, its language servers and a parallel build; far below what a bomb reaches. */
    public static final long DEFAULT_PIDS = 4096;

    public SessionLimits {
        if (pids < 0 || memoryBytes < 0) {
            throw new IllegalArgumentException("limits cannot be negative");
        }
    }

    public static final SessionLimits NONE = new SessionLimits(0, 0);

    /** The defaults: {@link #DEFAULT_PIDS} tasks and half of this host's physical memory. */
    public static SessionLimits defaults() {
        return new SessionLimits(DEFAULT_PIDS, defaultMemory(Path.of("/proc/meminfo")));
    }

    static long defaultMemory(Path meminfo) {
        try {
            for (String line : Files.readAllLines(meminfo)) {
                if (line.startsWith("MemTotal:")) {
                    long kib = Long.parseLong(line.replaceAll("[^0-9]", ""));
                    return kib * 1024 / 2;
                }
            }
        } catch (IOException | NumberFormatException e) {
            // fall through
        }
        return 4L << 30;
    }

    public boolean capsPids() {
        return pids > 0;
    }

    public boolean capsMemory() {
        return memoryBytes > 0;
    }

    public SessionLimits withPids(long p) {
        return new SessionLimits(p, memoryBytes);
    }

    public SessionLimits withMemory(long bytes) {
        return new SessionLimits(pids, bytes);
    }

    /**
     * A size as docker and podman write it: a number of bytes with an optional unit
     * {@code b, k, m, g, t} (powers of 1024, case-insensitive, an optional trailing {@code b}
     * or {@code ib}); {@code 0} or {@code unlimited} for no cap.
     */
    public static long parseSize(String text) {
        String s = text.strip().toLowerCase(Locale.ROOT);
        if (s.equals("unlimited") || s.equals("none")) {
            return 0;
        }
        var m = java.util.regex.Pattern.compile("([0-9]+)(?:\\.([0-9]+))?\\s*([kmgt]?)(i?b)?").matcher(s);
        if (!m.matches()) {
            throw new IllegalArgumentException("'" + text + "' is not a size (e.g. 512m, 8g, 1073741824, 0 for no limit)");
        }
        int shift = switch (m.group(3)) {
            case "k" -> 10;
            case "m" -> 20;
            case "g" -> 30;
            case "t" -> 40;
            default -> 0;
        };
        java.math.BigDecimal value = new java.math.BigDecimal(m.group(1) + (m.group(2) == null ? "" : "." + m.group(2)))
                .multiply(java.math.BigDecimal.valueOf(1L << shift));
        if (value.compareTo(java.math.BigDecimal.valueOf(Long.MAX_VALUE)) > 0) {
            throw new IllegalArgumentException("'" + text + "' is too large");
        }
        return value.longValue();
    }

    /** A count of tasks, {@code 0} or {@code unlimited} for no cap. */
    public static long parsePids(String text) {
        String s = text.strip().toLowerCase(Locale.ROOT);
        if (s.equals("unlimited") || s.equals("none") || s.equals("-1")) {
            return 0;
        }
        try {
            long n = Long.parseLong(s);
            if (n < 0) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + text + "' is not a number of tasks (e.g. 4096, 0 for no limit)");
        }
    }

    /** e.g. {@code 4096 tasks, 11.7 GiB memory}. */
    public String describe() {
        return (capsPids() ? pids + " tasks" : "tasks unlimited") + ", "
                + (capsMemory() ? formatBytes(memoryBytes) + " memory" : "memory unlimited");
    }

    public static String formatBytes(long b) {
        if (b >= 1L << 30) {
            return String.format(Locale.ROOT, "%.1f GiB", b / (double) (1L << 30));
        }
        if (b >= 1L << 20) {
            return String.format(Locale.ROOT, "%.0f MiB", b / (double) (1L << 20));
        }
        return b + " bytes";
    }
}
