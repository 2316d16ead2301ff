package dev.tether.kernel.enforce;

/**
 * The syscall a thread is blocked in, as the kernel saved it at entry: the native number and the
 * first four argument registers (which no other thread can change). From the exec guard's
 * {@code gate_syscalls} map, or parsed from {@code /proc/<tid>/syscall}.
 *
 * @param nr the syscall number, or -1 when the thread was not in a syscall we could read
 * @param enteredNs when the call began (CLOCK_MONOTONIC), telling two calls of one thread apart;
 *                  0 when read from /proc, which does not say
 */
public record ThreadSyscall(long nr, long arg0, long arg1, long arg2, long arg3, long enteredNs) {
    static final ThreadSyscall UNKNOWN = new ThreadSyscall(-1, 0, 0, 0, 0, 0);

    /**
     * A call the exec guard recorded, with the process it was made in as seen at entry.
     *
     * @param comm the thread's name at entry (before an exec renames it)
     */
    public record Recorded(ThreadSyscall call, int tgid, int ppid, String comm) {}

    /** Argument {@code i} (0-based, up to 3). */
    public long arg(int i) {
        return switch (i) {
            case 0 -> arg0;
            case 1 -> arg1;
            case 2 -> arg2;
            case 3 -> arg3;
            default -> throw new IllegalArgumentException("argument " + i);
        };
    }

    /** Parses {@code /proc/<tid>/syscall} ("257 0xffffff9c 0x7ff... 0x441 ..."); "running" or "-1 ..." is {@link #UNKNOWN}. */
    public static ThreadSyscall parse(String text) {
        String[] f = text.strip().split(" ");
        if (f.length < 5) {
            return UNKNOWN;
        }
        try {
            long nr = Long.parseLong(f[0]);
            if (nr < 0) {
                return UNKNOWN;
            }
            return new ThreadSyscall(nr, hex(f[1]), hex(f[2]), hex(f[3]), hex(f[4]), 0);
        } catch (NumberFormatException e) {
            return UNKNOWN;
        }
    }

    private static long hex(String s) {
        return s.startsWith("0x") ? Long.parseUnsignedLong(s.substring(2), 16) : Long.parseLong(s);
    }
}
