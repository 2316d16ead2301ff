package dev.tether.kernel.enforce;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the argument vector an execve call passes, from the calling thread's memory while it is
 * blocked in the exec permission event. Another thread of the same process could change that
 * memory after this read; the exec guard re-checks the argv the new image really got
 * (sched_process_exec) against what was approved, so a change makes the exec fail, never pass.
 */
final class ProcessMemory {
    /** The kernel's limits: ARG_MAX-ish total and MAX_ARG_STRLEN per string. */
    static final int MAX_TOTAL_BYTES = 2 * 1024 * 1024;
    static final int MAX_STRING_BYTES = 128 * 1024;
    static final int MAX_ARGS = 1 << 17;

    private ProcessMemory() {}

    /** argv of the exec {@code tid} is in; {@code argvPointer} from its syscall arguments. */
    static List<String> readArgv(ProcFiles files, int tid, long argvPointer) throws IOException {
        if (argvPointer == 0) {
            return List.of();
        }
        try (ProcFiles.ThreadMemory mem = files.memoryOf(tid)) {
            List<String> out = new ArrayList<>();
            StringWindow strings = new StringWindow(mem);
            byte[] ptrs = new byte[8 * 512];
            ByteBuffer view = ByteBuffer.wrap(ptrs).order(ByteOrder.nativeOrder());
            long at = argvPointer;
            long total = 0;
            while (out.size() < MAX_ARGS) {
                int n = mem.read(ptrs, at);
                if (n < 8) {
                    throw new IOException("cannot read argv pointers of " + tid);
                }
                for (int i = 0; i + 8 <= n; i += 8) {
                    long p = view.getLong(i);
                    at += 8;
                    if (p == 0) {
                        return out;
                    }
                    String s = strings.at(p);
                    total += s.length() + 1;
                    if (total > MAX_TOTAL_BYTES) {
                        throw new IOException("argv larger than the kernel allows");
                    }
                    out.add(s);
                }
            }
            throw new IOException("argv has more than " + MAX_ARGS + " entries");
        }
    }

    /** A NUL-terminated string at {@code address} in {@code tid}'s memory (execve's pathname). */
    static String readString(ProcFiles files, int tid, long address) throws IOException {
        try (ProcFiles.ThreadMemory mem = files.memoryOf(tid)) {
            return readCString(mem, address);
        }
    }

    /**
     * The last 4 KiB read from the process: argv's strings usually lie side by side, so one read
     * serves several of them (a string running past it is read on its own).
     */
    private static final class StringWindow {
        private final ProcFiles.ThreadMemory mem;
        private final byte[] bytes = new byte[4096];
        private long start;
        private int length;

        StringWindow(ProcFiles.ThreadMemory mem) {
            this.mem = mem;
        }

        String at(long address) throws IOException {
            if (length == 0 || address < start || address - start >= length) {
                int n = mem.read(bytes, address);
                if (n <= 0) {
                    throw new IOException("cannot read an argv string");
                }
                start = address;
                length = n;
            }
            int from = (int) (address - start);
            for (int i = from; i < length; i++) {
                if (bytes[i] == 0) {
                    return dev.tether.kernel.event.ByteStrings.decode(bytes, from, i - from);
                }
            }
            return readCString(mem, address);
        }
    }

    private static String readCString(ProcFiles.ThreadMemory mem, long address) throws IOException {
        byte[] a = new byte[4096];
        java.io.ByteArrayOutputStream bytes = null;
        long at = address;
        int size = 0;
        while (size < MAX_STRING_BYTES) {
            int n = mem.read(a, at);
            if (n <= 0) {
                throw new IOException("cannot read an argv string");
            }
            for (int i = 0; i < n; i++) {
                if (a[i] == 0) {
                    if (bytes == null) {
                        return dev.tether.kernel.event.ByteStrings.decode(a, 0, i);
                    }
                    bytes.write(a, 0, i);
                    return dev.tether.kernel.event.ByteStrings.decode(bytes.toByteArray(), 0, bytes.size());
                }
            }
            if (bytes == null) {
                bytes = new java.io.ByteArrayOutputStream();
            }
            bytes.write(a, 0, n);
            size += n;
            at += n;
        }
        throw new IOException("argv string longer than the kernel allows");
    }

    /**
     * How long a thread that raised a permission event may take to actually go to sleep. Between
     * queueing the event and sleeping it is runnable and can be preempted; at load 10 on 2 cores
     * 100 ms was still exceeded now and then (ResilienceIT), and the thread cannot get further
     * without our answer anyway, so waiting long costs only this gate's other events.
     */
    private static final long SETTLE_NANOS = 2_000_000_000L;

    /**
     * {@code /proc/<tid>/syscall} of a thread that has just raised a permission event and is about
     * to sleep until we answer. The event can reach us before the thread has left the CPU; the
     * kernel then reads "running" (it only reports the registers of a thread that is not
     * running). Read again until it has gone to sleep, which takes microseconds; after
     * {@link #SETTLE_NANOS} the last reading is returned (and judged as the strictest case).
     * Measured under load (ResilienceIT): without this, about 1 in 200 execs of a dynamically
     * linked program saw "running" for its ELF loader's open and was refused.
     */
    static String blockedSyscall(int tid, ProcFiles files) throws IOException {
        String p = "/proc/" + tid + "/syscall";
        long deadline = 0;
        for (int attempt = 0; ; attempt++) {
            String s = files.read(p);
            if (!s.startsWith("running")) {
                return s;
            }
            if (attempt == 0) {
                deadline = System.nanoTime() + SETTLE_NANOS;
            } else if (System.nanoTime() > deadline) {
                return s;
            }
            if (attempt < 64) {
                Thread.yield(); // on a busy machine the sleeping-to-be thread needs our CPU
            } else {
                java.util.concurrent.locks.LockSupport.parkNanos(50_000);
            }
        }
    }
}
