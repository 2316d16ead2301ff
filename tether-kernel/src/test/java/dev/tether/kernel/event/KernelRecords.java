package dev.tether.kernel.event;

import static dev.tether.kernel.event.KernelEventLayouts.*;

import java.io.ByteArrayOutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** Builds ring-buffer records byte for byte as the BPF programs do, for decoder tests. */
final class KernelRecords {
    static final long BOOT_NS = 5_000;
    static final int PID = 100;
    static final int TID = 101;
    static final int PPID = 99;

    private KernelRecords() {}

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static void header(MemorySegment r, int kind, String comm) {
        r.set(ValueLayout.JAVA_LONG, HDR_BOOT_NS, BOOT_NS);
        r.set(ValueLayout.JAVA_LONG, HDR_CGROUP_ID, 77);
        r.set(ValueLayout.JAVA_INT, HDR_KIND, kind);
        r.set(ValueLayout.JAVA_INT, HDR_SESSION_SLOT, 1);
        r.set(ValueLayout.JAVA_INT, HDR_PID, PID);
        r.set(ValueLayout.JAVA_INT, HDR_TID, TID);
        r.set(ValueLayout.JAVA_INT, HDR_PPID, PPID);
        r.set(ValueLayout.JAVA_INT, HDR_UID, 1000);
        byte[] c = utf8(comm);
        MemorySegment.copy(c, 0, r, ValueLayout.JAVA_BYTE, HDR_COMM, Math.min(c.length, TASK_COMM_LEN));
    }

    /** A resolved path as the kernel writes it: components leaf first, NUL after each. */
    static byte[] components(String absolute) {
        if (absolute.equals("/")) {
            return new byte[0];
        }
        List<String> parts = List.of(absolute.substring(1).split("/"));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = parts.size() - 1; i >= 0; i--) {
            out.writeBytes(utf8(parts.get(i)));
            if (i > 0) {
                out.write(0);
            }
        }
        return out.toByteArray();
    }

    static MemorySegment exec(Arena a, byte[] filename, byte[] args, int argc, byte[] exe, byte[] cwd, int flags) {
        long size = EXEC_DATA + filename.length + 1 + args.length + exe.length + 1 + cwd.length + 1;
        MemorySegment r = a.allocate(size, 8);
        header(r, EVENT_EXEC, "git");
        r.set(ValueLayout.JAVA_INT, EXEC_FLAGS, flags);
        r.set(ValueLayout.JAVA_INT, EXEC_ARGC, argc);
        r.set(ValueLayout.JAVA_INT, EXEC_GID, 1000);
        r.set(ValueLayout.JAVA_INT, EXEC_EUID, 0);
        r.set(ValueLayout.JAVA_INT, EXEC_EGID, 1000);
        r.set(ValueLayout.JAVA_SHORT, EXEC_FILENAME_LEN, (short) filename.length);
        r.set(ValueLayout.JAVA_SHORT, EXEC_ARGS_LEN, (short) args.length);
        r.set(ValueLayout.JAVA_SHORT, EXEC_EXE_LEN, (short) exe.length);
        r.set(ValueLayout.JAVA_SHORT, EXEC_EXE_FLAGS, (short) STR_FROM_FILE);
        r.set(ValueLayout.JAVA_SHORT, EXEC_CWD_LEN, (short) cwd.length);
        r.set(ValueLayout.JAVA_SHORT, EXEC_CWD_FLAGS, (short) STR_BASE);
        long off = EXEC_DATA;
        MemorySegment.copy(filename, 0, r, ValueLayout.JAVA_BYTE, off, filename.length);
        off += filename.length + 1;
        MemorySegment.copy(args, 0, r, ValueLayout.JAVA_BYTE, off, args.length);
        off += args.length;
        MemorySegment.copy(exe, 0, r, ValueLayout.JAVA_BYTE, off, exe.length);
        off += exe.length + 1;
        MemorySegment.copy(cwd, 0, r, ValueLayout.JAVA_BYTE, off, cwd.length);
        return r;
    }

    /** One string slot of a file record: its bytes and str_flags. */
    record Slot(byte[] bytes, int flags) {
        static Slot absent() {
            return new Slot(new byte[0], STR_ABSENT);
        }

        static Slot raw(String s) {
            return new Slot(utf8(s), 0);
        }

        static Slot opened(String absolute) {
            return new Slot(components(absolute), STR_FROM_FILE);
        }

        static Slot base(String absolute) {
            return new Slot(components(absolute), STR_BASE);
        }
    }

    static MemorySegment file(Arena a, FileOp op, int nr, long result, long flags, int mode, int dirfd,
                              Slot s0, Slot s1, Slot s2, Slot s3) {
        Slot[] slots = {s0, s1, s2, s3};
        long size = FILE_DATA;
        for (Slot s : slots) {
            size += s.bytes().length + 1;
        }
        MemorySegment r = a.allocate(size, 8);
        header(r, EVENT_FILE, "sh");
        r.set(ValueLayout.JAVA_LONG, FILE_RESULT, result);
        r.set(ValueLayout.JAVA_LONG, FILE_OPEN_FLAGS, flags);
        r.set(ValueLayout.JAVA_INT, FILE_MODE, mode);
        r.set(ValueLayout.JAVA_INT, FILE_UID, -1);
        r.set(ValueLayout.JAVA_INT, FILE_GID, -1);
        r.set(ValueLayout.JAVA_INT, FILE_DIRFD, dirfd);
        r.set(ValueLayout.JAVA_INT, FILE_DIRFD2, PathArgument.AT_FDCWD);
        r.set(ValueLayout.JAVA_SHORT, FILE_OP, (short) op.code());
        r.set(ValueLayout.JAVA_SHORT, FILE_SYSCALL_NR, (short) nr);
        long off = FILE_DATA;
        for (int i = 0; i < 4; i++) {
            r.set(ValueLayout.JAVA_SHORT, FILE_LEN + 2L * i, (short) slots[i].bytes().length);
            r.set(ValueLayout.JAVA_SHORT, FILE_STR_FLAGS + 2L * i, (short) slots[i].flags());
            MemorySegment.copy(slots[i].bytes(), 0, r, ValueLayout.JAVA_BYTE, off, slots[i].bytes().length);
            off += slots[i].bytes().length + 1;
        }
        return r;
    }

    static MemorySegment net(Arena a, NetOp op, long result, int family, int type, int protocol, byte[] addr,
                             int port, byte[] path, int flags) {
        MemorySegment r = a.allocate(NET_PATH + path.length, 8);
        header(r, EVENT_NET, "curl");
        r.set(ValueLayout.JAVA_LONG, NET_RESULT, result);
        r.set(ValueLayout.JAVA_INT, NET_FD, 3);
        r.set(ValueLayout.JAVA_SHORT, NET_OP, (short) op.code());
        r.set(ValueLayout.JAVA_SHORT, NET_SYSCALL_NR, (short) 42);
        r.set(ValueLayout.JAVA_SHORT, NET_FAMILY, (short) family);
        r.set(ValueLayout.JAVA_SHORT, NET_SOCK_TYPE, (short) type);
        r.set(ValueLayout.JAVA_SHORT, NET_PROTOCOL, (short) protocol);
        r.set(ValueLayout.JAVA_SHORT, NET_PORT, (short) port);
        r.set(ValueLayout.JAVA_SHORT, NET_FLAGS, (short) flags);
        r.set(ValueLayout.JAVA_SHORT, NET_PATH_LEN, (short) path.length);
        MemorySegment.copy(addr, 0, r, ValueLayout.JAVA_BYTE, NET_ADDR, addr.length);
        MemorySegment.copy(path, 0, r, ValueLayout.JAVA_BYTE, NET_PATH, path.length);
        return r;
    }
}
