package dev.tether.kernel.event;

import static dev.tether.kernel.event.KernelEventLayouts.*;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

/**
 * Decodes ring-buffer records into {@link KernelEvent}s. Input comes from the kernel on behalf of
 * sandboxed processes, so nothing here trusts a length field: every read is bounds-checked and a
 * bad record becomes a {@link MalformedEvent}, never an exception.
 */
public final class KernelEventDecoder {
    private final long bootToWallOffsetNs;

    /** @param bootToWallOffsetNs add to CLOCK_BOOTTIME ns to get ns since the epoch */
    public KernelEventDecoder(long bootToWallOffsetNs) {
        this.bootToWallOffsetNs = bootToWallOffsetNs;
    }

    public KernelEvent decode(MemorySegment record) {
        long size = record.byteSize();
        if (size < EVENT_HEADER.byteSize()) {
            return new MalformedEvent(new EventHeader(0, 0, 0, -1, 0, 0, 0, 0, ""), (int) size, "record shorter than its header");
        }
        EventHeader h = header(record);
        return switch (h.kind()) {
            case EVENT_EXEC -> decodeExec(h, record);
            default -> new MalformedEvent(h, (int) size, "unknown event kind " + h.kind());
        };
    }

    private EventHeader header(MemorySegment r) {
        byte[] comm = new byte[TASK_COMM_LEN];
        MemorySegment.copy(r, ValueLayout.JAVA_BYTE, HDR_COMM, comm, 0, TASK_COMM_LEN);
        return new EventHeader(
                r.get(ValueLayout.JAVA_LONG_UNALIGNED, HDR_BOOT_NS) + bootToWallOffsetNs,
                r.get(ValueLayout.JAVA_LONG_UNALIGNED, HDR_CGROUP_ID),
                r.get(ValueLayout.JAVA_INT_UNALIGNED, HDR_KIND),
                r.get(ValueLayout.JAVA_INT_UNALIGNED, HDR_SESSION_SLOT),
                r.get(ValueLayout.JAVA_INT_UNALIGNED, HDR_PID),
                r.get(ValueLayout.JAVA_INT_UNALIGNED, HDR_TID),
                r.get(ValueLayout.JAVA_INT_UNALIGNED, HDR_PPID),
                r.get(ValueLayout.JAVA_INT_UNALIGNED, HDR_UID),
                cString(comm, 0, TASK_COMM_LEN));
    }

    private KernelEvent decodeExec(EventHeader h, MemorySegment r) {
        long size = r.byteSize();
        if (size < EXEC_DATA) {
            return new MalformedEvent(h, (int) size, "exec record shorter than its fixed part");
        }
        int flags = r.get(ValueLayout.JAVA_INT_UNALIGNED, EXEC_FLAGS);
        int filenameLen = Short.toUnsignedInt(r.get(ValueLayout.JAVA_SHORT_UNALIGNED, EXEC_FILENAME_LEN));
        int argsLen = Short.toUnsignedInt(r.get(ValueLayout.JAVA_SHORT_UNALIGNED, EXEC_ARGS_LEN));
        long available = size - EXEC_DATA;
        if (filenameLen >= EXEC_FILENAME_MAX || argsLen > EXEC_ARGS_MAX || filenameLen + 1L + argsLen > available) {
            return new MalformedEvent(h, (int) size, "exec lengths exceed the record");
        }
        byte[] data = new byte[(int) (filenameLen + 1L + argsLen)];
        MemorySegment.copy(r, ValueLayout.JAVA_BYTE, EXEC_DATA, data, 0, data.length);
        String filename = ByteStrings.decode(data, 0, filenameLen);
        List<String> argv = splitNul(data, filenameLen + 1, argsLen);
        return new ExecEvent(h, filename, argv,
                (flags & FLAG_FILENAME_TRUNCATED) != 0, (flags & FLAG_ARGS_TRUNCATED) != 0);
    }

    /** argv as the kernel keeps it: each argument NUL-terminated (the last one may be cut). */
    static List<String> splitNul(byte[] b, int off, int len) {
        List<String> out = new ArrayList<>();
        int start = off;
        int end = off + len;
        for (int i = off; i < end; i++) {
            if (b[i] == 0) {
                out.add(ByteStrings.decode(b, start, i - start));
                start = i + 1;
            }
        }
        if (start < end) {
            out.add(ByteStrings.decode(b, start, end - start));
        }
        return out;
    }

    static String cString(byte[] b, int off, int max) {
        int n = 0;
        while (n < max && b[off + n] != 0) {
            n++;
        }
        return ByteStrings.decode(b, off, n);
    }
}
