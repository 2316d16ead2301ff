package dev.tether.kernel.enforce;

/** The syscall numbers the gates recognise, per architecture (-1: the architecture has none). */
public record SyscallTable(long read, long open, long openat, long creat, long openat2, long execve, long execveat) {
    public static final SyscallTable X86_64 = new SyscallTable(0, 2, 257, 85, 437, 59, 322);
    public static final SyscallTable AARCH64 = new SyscallTable(63, -1, 56, -1, 437, 221, 281);

    public static SyscallTable forThisMachine() {
        return switch (System.getProperty("os.arch")) {
            case "amd64", "x86_64" -> X86_64;
            case "aarch64", "arm64" -> AARCH64;
            default -> throw new IllegalStateException("no syscall table for " + System.getProperty("os.arch"));
        };
    }
}
