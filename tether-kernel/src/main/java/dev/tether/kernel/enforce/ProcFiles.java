package dev.tether.kernel.enforce;

import dev.tether.kernel.ffm.LibC;
import dev.tether.kernel.ffm.NativeCallException;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;

/**
 * Small {@code /proc} files ({@code status}, {@code cgroup}, {@code syscall}, {@code fdinfo}) read
 * with open/read/close straight into one native buffer. The file gate reads several per decision
 * while a sandboxed thread waits; {@code FileChannel.open} cost 20-40 µs each on the test hosts
 * (channel, cleaner, heap copy), most of an exec's decision. One gate thread uses one instance.
 */
final class ProcFiles {
    private static final int SIZE = 4096;
    private final LibC libc;
    private final MemorySegment buf = Arena.ofAuto().allocate(SIZE);

    ProcFiles(LibC libc) {
        this.libc = libc;
    }

    /**
     * Another thread's memory, read with process_vm_readv (no descriptor to open and close per
     * exec); {@code /proc/TID/mem} where the kernel refuses that call (ENOSYS, or EPERM under a
     * stricter ptrace policy than /proc's).
     */
    final class ThreadMemory implements AutoCloseable {
        private final int tid;
        private int memFd = -1;

        private ThreadMemory(int tid) {
            this.tid = tid;
        }

        /** Up to {@code dst.length} bytes at {@code address}; returns how many, 0 or less when unreadable. */
        int read(byte[] dst, long address) throws IOException {
            long want = Math.min(dst.length, SIZE);
            long n = memFd < 0 ? libc.processVmRead(tid, buf, want, address) : libc.pread(memFd, buf, want, address);
            if (memFd < 0 && (n == -LibC.ENOSYS || n == -LibC.EPERM)) {
                try {
                    memFd = libc.open("/proc/" + tid + "/mem", LibC.O_RDONLY);
                } catch (NativeCallException e) {
                    throw new IOException(e.getMessage(), e);
                }
                n = libc.pread(memFd, buf, want, address);
            }
            if (n <= 0) {
                return (int) Math.max(n, -1);
            }
            MemorySegment.copy(buf, java.lang.foreign.ValueLayout.JAVA_BYTE, 0, dst, 0, (int) n);
            return (int) n;
        }

        @Override
        public void close() {
            if (memFd >= 0) {
                libc.close(memFd);
            }
        }
    }

    ThreadMemory memoryOf(int tid) {
        return new ThreadMemory(tid);
    }

    /** The file's first 4 KiB as ASCII (what these files hold); an I/O error names the file. */
    String read(String path) throws IOException {
        int fd;
        try {
            fd = libc.open(path, LibC.O_RDONLY);
        } catch (NativeCallException e) {
            throw new IOException(e.getMessage(), e);
        }
        try {
            long n = libc.read(fd, buf, SIZE);
            if (n < 0) {
                throw new IOException("read(" + path + ") failed: errno " + -n);
            }
            byte[] bytes = new byte[(int) n];
            MemorySegment.copy(buf, java.lang.foreign.ValueLayout.JAVA_BYTE, 0, bytes, 0, (int) n);
            return new String(bytes, StandardCharsets.US_ASCII);
        } finally {
            libc.close(fd);
        }
    }
}
