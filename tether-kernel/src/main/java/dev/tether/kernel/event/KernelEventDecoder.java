package dev.tether.kernel.event;

import static dev.tether.kernel.event.KernelEventLayouts.*;

import dev.tether.events.KernelText;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * Decodes ring-buffer records into {@link KernelEvent}s. Input comes from the kernel on behalf of
 * sandboxed processes, so nothing here trusts a length field: every read is bounds-checked and a
 * bad record becomes a {@link MalformedEvent}, never an exception.
 *
 * <p>Not thread-safe: it keeps a scratch buffer, so each consumer thread has its own decoder.
 */
public final class KernelEventDecoder {
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED;
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED;
    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED;

    private final long bootToWallOffsetNs;
    private final byte[] scratch = new byte[Math.max(EXEC_DATA_MAX, FILE_DATA_MAX) + PATH_BYTES_MAX + 16];
    private final byte[] pathBytes = new byte[PATH_BYTES_MAX + 16];

    /** @param bootToWallOffsetNs add to CLOCK_BOOTTIME ns to get ns since the epoch */
    public KernelEventDecoder(long bootToWallOffsetNs) {
        this.bootToWallOffsetNs = bootToWallOffsetNs;
    }

    public KernelEvent decode(MemorySegment record) {
        long size = record.byteSize();
        if (size < EVENT_HEADER.byteSize()) {
            return new MalformedEvent(EventHeader.unknown(), (int) Math.min(size, Integer.MAX_VALUE),
                    "record shorter than its header");
        }
        EventHeader h = header(record);
        return switch (h.kind()) {
            case EVENT_EXEC -> decodeExec(h, record);
            case EVENT_FORK -> decodeFork(h, record);
            case EVENT_EXIT -> decodeExit(h, record);
            case EVENT_FILE -> decodeFile(h, record);
            case EVENT_NET -> decodeNet(h, record);
            default -> new MalformedEvent(h, (int) size, "unknown event kind " + h.kind());
        };
    }

    private EventHeader header(MemorySegment r) {
        MemorySegment.copy(r, ValueLayout.JAVA_BYTE, HDR_COMM, scratch, 0, TASK_COMM_LEN);
        int n = 0;
        while (n < TASK_COMM_LEN && scratch[n] != 0) {
            n++;
        }
        KernelText.Decoded comm = KernelText.decode(scratch, 0, n);
        return new EventHeader(
                r.get(LONG, HDR_BOOT_NS) + bootToWallOffsetNs,
                r.get(LONG, HDR_CGROUP_ID),
                r.get(INT, HDR_KIND),
                r.get(INT, HDR_SESSION_SLOT),
                r.get(INT, HDR_PID),
                r.get(INT, HDR_TID),
                r.get(INT, HDR_PPID),
                r.get(INT, HDR_UID),
                comm.text(),
                comm.escaped());
    }

    // ---- process family --------------------------------------------------------------------

    private KernelEvent decodeExec(EventHeader h, MemorySegment r) {
        long size = r.byteSize();
        if (size < EXEC_DATA) {
            return new MalformedEvent(h, (int) size, "exec record shorter than its fixed part");
        }
        int flags = r.get(INT, EXEC_FLAGS);
        int filenameLen = u16(r, EXEC_FILENAME_LEN);
        int argsLen = u16(r, EXEC_ARGS_LEN);
        int exeLen = u16(r, EXEC_EXE_LEN);
        int cwdLen = u16(r, EXEC_CWD_LEN);
        long available = size - EXEC_DATA;
        long needed = filenameLen + 1L + argsLen + exeLen + 1L + cwdLen + 1L;
        if (filenameLen >= EXEC_FILENAME_MAX || argsLen > EXEC_ARGS_MAX || exeLen > PATH_BYTES_MAX
                || cwdLen > PATH_BYTES_MAX || needed > available) {
            return new MalformedEvent(h, (int) size, "exec lengths exceed the record");
        }
        byte[] b = scratch;
        MemorySegment.copy(r, ValueLayout.JAVA_BYTE, EXEC_DATA, b, 0, (int) needed);
        KernelString filename = KernelString.decode(b, 0, filenameLen, (flags & EXEC_FILENAME_TRUNCATED) != 0);
        int argsOff = filenameLen + 1;
        KernelText.DecodedList argv = KernelText.decodeNulSeparated(b, argsOff, argsLen);
        int exeOff = argsOff + argsLen;
        ResolvedPath exe = resolved(b, exeOff, exeLen, u16(r, EXEC_EXE_FLAGS));
        ResolvedPath cwd = resolved(b, exeOff + exeLen + 1, cwdLen, u16(r, EXEC_CWD_FLAGS));
        return new ExecEvent(h, filename, argv.items(), argv.escaped(), (flags & EXEC_ARGS_TRUNCATED) != 0,
                (flags & EXEC_ARGS_FAULT) != 0, r.get(INT, EXEC_ARGC), exe, cwd, r.get(INT, EXEC_GID),
                r.get(INT, EXEC_EUID), r.get(INT, EXEC_EGID));
    }

    private static KernelEvent decodeFork(EventHeader h, MemorySegment r) {
        if (r.byteSize() < FORK_EVENT.byteSize()) {
            return new MalformedEvent(h, (int) r.byteSize(), "fork record too short");
        }
        return new ForkEvent(h, r.get(INT, FORK_CHILD_PID));
    }

    private static KernelEvent decodeExit(EventHeader h, MemorySegment r) {
        if (r.byteSize() < EXIT_EVENT.byteSize()) {
            return new MalformedEvent(h, (int) r.byteSize(), "exit record too short");
        }
        return new ExitEvent(h, r.get(INT, EXIT_CODE));
    }

    // ---- file family -----------------------------------------------------------------------

    private KernelEvent decodeFile(EventHeader h, MemorySegment r) {
        long size = r.byteSize();
        if (size < FILE_DATA) {
            return new MalformedEvent(h, (int) size, "file record shorter than its fixed part");
        }
        var op = FileOp.of(u16(r, FILE_OP));
        if (op.isEmpty()) {
            return new MalformedEvent(h, (int) size, "unknown file operation " + u16(r, FILE_OP));
        }
        int[] len = new int[FILE_STRINGS];
        int[] flags = new int[FILE_STRINGS];
        long needed = 0;
        for (int i = 0; i < FILE_STRINGS; i++) {
            len[i] = u16(r, FILE_LEN + 2L * i);
            flags[i] = u16(r, FILE_STR_FLAGS + 2L * i);
            if (len[i] > PATH_BYTES_MAX) {
                return new MalformedEvent(h, (int) size, "file string " + i + " longer than a path");
            }
            needed += len[i] + 1L;
        }
        if (needed > size - FILE_DATA) {
            return new MalformedEvent(h, (int) size, "file string lengths exceed the record");
        }
        byte[] b = scratch;
        MemorySegment.copy(r, ValueLayout.JAVA_BYTE, FILE_DATA, b, 0, (int) needed);
        int off0 = 0;
        int off1 = off0 + len[0] + 1;
        int off2 = off1 + len[1] + 1;
        int off3 = off2 + len[2] + 1;
        PathArgument path = pathArgument(b, off0, len[0], flags[0], r.get(INT, FILE_DIRFD), off1, len[1], flags[1]);
        PathArgument second = (flags[2] & STR_ABSENT) != 0 && (flags[3] & STR_ABSENT) != 0 ? null
                : pathArgument(b, off2, len[2], flags[2], r.get(INT, FILE_DIRFD2), off3, len[3], flags[3]);
        int nr = u16(r, FILE_SYSCALL_NR);
        return new FileEvent(h, op.get(), nr >= COMPAT_BASE ? nr - COMPAT_BASE : nr, nr >= COMPAT_BASE,
                r.get(LONG, FILE_RESULT), r.get(LONG, FILE_OPEN_FLAGS), r.get(INT, FILE_MODE), r.get(INT, FILE_UID),
                r.get(INT, FILE_GID), path, second);
    }

    private PathArgument pathArgument(byte[] b, int rawOff, int rawLen, int rawFlags, int dirfd,
                                      int resOff, int resLen, int resFlags) {
        KernelString raw = (rawFlags & (STR_ABSENT | STR_FAULT)) != 0 ? null
                : KernelString.decode(b, rawOff, rawLen, (rawFlags & STR_TRUNCATED) != 0);
        ResolvedPath resolved = null;
        PathArgument.Resolution resolution = PathArgument.Resolution.NONE;
        if ((resFlags & STR_ABSENT) == 0) {
            resolved = resolved(b, resOff, resLen, resFlags);
            if ((resFlags & STR_FROM_FILE) != 0) {
                resolution = PathArgument.Resolution.OPENED_FILE;
            } else if ((resFlags & STR_BASE) != 0) {
                resolution = PathArgument.Resolution.START_DIRECTORY;
            }
        }
        return new PathArgument(raw, (rawFlags & STR_FAULT) != 0, dirfd, resolved, resolution);
    }

    /**
     * A resolved path from its components, leaf first, each NUL-terminated (the last NUL is the
     * string's own, not counted in len): reversed and joined with '/'.
     */
    private ResolvedPath resolved(byte[] b, int off, int len, int flags) {
        boolean truncated = (flags & STR_TRUNCATED) != 0;
        boolean unreachable = (flags & STR_UNREACHABLE) != 0;
        byte[] out = pathBytes;
        int n = 0;
        int compEnd = off + len;
        for (int i = off + len - 1; ; i--) {
            if (i < off || b[i] == 0) {
                // Component [i + 1, compEnd): the next one towards the leaf. A truncated walk
                // never reached the root, so its path gets no leading '/'.
                if (n > 0 || !truncated) {
                    out[n++] = '/';
                }
                int compLen = compEnd - (i + 1);
                System.arraycopy(b, i + 1, out, n, compLen);
                n += compLen;
                compEnd = i;
                if (i < off) {
                    break;
                }
            }
        }
        KernelText.Decoded d = KernelText.decode(out, 0, n);
        return new ResolvedPath(d.text(), d.escaped(), truncated, unreachable);
    }

    // ---- network family --------------------------------------------------------------------

    private KernelEvent decodeNet(EventHeader h, MemorySegment r) {
        long size = r.byteSize();
        if (size < NET_PATH) {
            return new MalformedEvent(h, (int) size, "net record shorter than its fixed part");
        }
        var op = NetOp.of(u16(r, NET_OP));
        if (op.isEmpty()) {
            return new MalformedEvent(h, (int) size, "unknown socket operation " + u16(r, NET_OP));
        }
        int flags = u16(r, NET_FLAGS);
        int family = u16(r, NET_FAMILY);
        int pathLen = u16(r, NET_PATH_LEN);
        if (pathLen > UNIX_PATH_BYTES || NET_PATH + pathLen > size) {
            return new MalformedEvent(h, (int) size, "unix path length exceeds the record");
        }
        NetEvent.AddressSource source = (flags & NET_ADDR_FAULT) != 0 ? NetEvent.AddressSource.UNREADABLE
                : (flags & NET_ADDR_NONE) != 0 ? NetEvent.AddressSource.NONE
                : (flags & NET_ADDR_FROM_SOCKET) != 0 ? NetEvent.AddressSource.SOCKET
                : NetEvent.AddressSource.ARGUMENT;
        InetAddress address = null;
        KernelString unixPath = null;
        boolean unixAbstract = (flags & NET_UNIX_ABSTRACT) != 0;
        boolean hasAddress = source == NetEvent.AddressSource.ARGUMENT || source == NetEvent.AddressSource.SOCKET;
        if (hasAddress && (family == NetEvent.AF_INET || family == NetEvent.AF_INET6)) {
            byte[] a = new byte[family == NetEvent.AF_INET ? 4 : 16];
            MemorySegment.copy(r, ValueLayout.JAVA_BYTE, NET_ADDR, a, 0, a.length);
            address = inetAddress(a, family == NetEvent.AF_INET6 ? r.get(INT, NET_SCOPE_ID) : 0);
        } else if (hasAddress && family == NetEvent.AF_UNIX) {
            MemorySegment.copy(r, ValueLayout.JAVA_BYTE, NET_PATH, scratch, 0, pathLen);
            int from = 0;
            int n = pathLen;
            if (unixAbstract) {
                from = 1; // the leading NUL that marks an abstract name
                n = Math.max(0, pathLen - 1);
            } else {
                // A pathname ends at its first NUL, as the kernel reads it.
                for (int i = 0; i < pathLen; i++) {
                    if (scratch[i] == 0) {
                        n = i;
                        break;
                    }
                }
            }
            unixPath = KernelString.decode(scratch, from, n, false);
        }
        int nr = u16(r, NET_SYSCALL_NR);
        return new NetEvent(h, op.get(), nr >= COMPAT_BASE ? nr - COMPAT_BASE : nr, nr >= COMPAT_BASE,
                r.get(LONG, NET_RESULT), r.get(INT, NET_FD), family, u16(r, NET_SOCK_TYPE), u16(r, NET_PROTOCOL),
                address, u16(r, NET_PORT), unixPath, unixAbstract, source);
    }

    private static InetAddress inetAddress(byte[] a, int scopeId) {
        try {
            if (a.length == 16 && scopeId != 0) {
                return java.net.Inet6Address.getByAddress(null, a, scopeId);
            }
            return InetAddress.getByAddress(a);
        } catch (UnknownHostException e) {
            return null; // only for a wrong length, which cannot happen here
        }
    }

    private static int u16(MemorySegment r, long offset) {
        return Short.toUnsignedInt(r.get(SHORT, offset));
    }
}
