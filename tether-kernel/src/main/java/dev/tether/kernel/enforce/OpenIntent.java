package dev.tether.kernel.enforce;

/**
 * What an open is for, read from the syscall the opening thread is blocked in
 * ({@code /proc/<tid>/syscall}: the registers saved at syscall entry, which no other thread can
 * change). Flags that live in user memory (openat2's struct open_how) could be rewritten by
 * another thread after the kernel read them, so such opens, and opens tether cannot attribute to
 * a syscall (io_uring workers, kernel-internal opens), are judged as writes: the strictest reading.
 */
public record OpenIntent(Kind kind, int flags) {
    public enum Kind {
        /** open/openat/creat with flags from registers. */
        OPEN,
        /** the open that execve/execveat does for the program and its interpreters. */
        EXEC,
        /** anything else: judged as a write. */
        UNKNOWN
    }

    static final int O_ACCMODE = 3;
    static final int O_WRONLY = 1;
    static final int O_RDWR = 2;
    static final int O_CREAT = 0x40;
    static final int O_TRUNC = 0x200;

    /** True when the open can change the file: write access, creation or truncation. */
    public boolean writes() {
        if (kind != Kind.OPEN) {
            return kind == Kind.UNKNOWN;
        }
        return (flags & O_ACCMODE) != 0 || (flags & (O_CREAT | O_TRUNC)) != 0;
    }

    /** Parses the text of {@code /proc/<tid>/syscall} ("257 0xffffff9c 0x7ff... 0x441 ..."). */
    public static OpenIntent fromProcSyscall(String text, SyscallTable table) {
        return of(ThreadSyscall.parse(text), table);
    }

    /** What an open made from inside {@code call} is for. */
    public static OpenIntent of(ThreadSyscall call, SyscallTable table) {
        long nr = call.nr();
        if (nr < 0) {
            return new OpenIntent(Kind.UNKNOWN, 0); // "running", "-1 ...": not in a syscall we know
        }
        if (nr == table.open()) {
            return new OpenIntent(Kind.OPEN, (int) call.arg(1));
        }
        if (nr == table.openat()) {
            return new OpenIntent(Kind.OPEN, (int) call.arg(2));
        }
        if (nr == table.creat()) {
            return new OpenIntent(Kind.OPEN, O_CREAT | O_WRONLY | O_TRUNC);
        }
        if (nr == table.execve() || nr == table.execveat()) {
            return new OpenIntent(Kind.EXEC, 0);
        }
        return new OpenIntent(Kind.UNKNOWN, 0);
    }
}
