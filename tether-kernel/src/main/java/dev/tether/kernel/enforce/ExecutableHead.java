package dev.tether.kernel.enforce;

import dev.tether.kernel.ffm.LibC;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The first bytes of a file being executed, read once for everything the gate needs from them:
 * the {@code #!} line the kernel reads (its first 256 bytes) and the ELF header, which for common
 * executables is followed within these bytes by the program headers and the loader's name.
 *
 * @param bytes what the file holds from offset 0 (fewer than {@link #SIZE} when it is shorter)
 */
record ExecutableHead(byte[] bytes) {
    static final int SIZE = 1024;
    /** The kernel's BINPRM_BUF_SIZE: how much of a script's first line it reads. */
    private static final int SHEBANG_BYTES = 256;

    /** Reads the head with one pread into {@code scratch} (at least {@link #SIZE} bytes, reused by the caller). */
    static ExecutableHead read(LibC libc, int fd, MemorySegment scratch) {
        long n = libc.pread(fd, scratch, SIZE, 0);
        return new ExecutableHead(n <= 0 ? new byte[0] : scratch.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE));
    }

    /** The script's interpreter line, as the kernel reads it. */
    java.util.Optional<Shebang> shebang() {
        return Shebang.parse(bytes.length <= SHEBANG_BYTES ? bytes : java.util.Arrays.copyOf(bytes, SHEBANG_BYTES));
    }
}
