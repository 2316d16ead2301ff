package dev.tether.kernel.event;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;

/**
 * Java mirrors of the C structs in {@code src/main/bpf/events.h}, {@code process_events.h},
 * {@code file_events.h} and {@code net_events.h}. KernelEventLayoutTest checks every member's
 * offset and every struct's size against the BTF of the compiled objects, so a drift fails the build.
 */
public final class KernelEventLayouts {
    public static final int TASK_COMM_LEN = 16;
    public static final int PATH_BYTES_MAX = 4096;
    public static final int EXEC_FILENAME_MAX = 4096;
    public static final int EXEC_ARGS_MAX = 8192;
    public static final int EXEC_DATA_MAX = EXEC_FILENAME_MAX + EXEC_ARGS_MAX + 2 * PATH_BYTES_MAX + 4096;
    public static final int FILE_STRINGS = 4;
    public static final int FILE_DATA_MAX = FILE_STRINGS * (PATH_BYTES_MAX + 1) + PATH_BYTES_MAX;
    public static final int UNIX_PATH_BYTES = 108;
    /** Syscall numbers at or above this are ia32 numbers offset by it (syscalls.h COMPAT_BASE). */
    public static final int COMPAT_BASE = 1024;

    // enum event_kind
    public static final int EVENT_EXEC = 1;
    public static final int EVENT_FORK = 2;
    public static final int EVENT_EXIT = 3;
    public static final int EVENT_FILE = 4;
    public static final int EVENT_NET = 5;

    // enum str_flags
    public static final int STR_TRUNCATED = 1;
    public static final int STR_FAULT = 1 << 1;
    public static final int STR_UNREACHABLE = 1 << 2;
    public static final int STR_FROM_FILE = 1 << 3;
    public static final int STR_BASE = 1 << 4;
    public static final int STR_ABSENT = 1 << 5;

    // enum exec_flags
    public static final int EXEC_FILENAME_TRUNCATED = 1;
    public static final int EXEC_ARGS_TRUNCATED = 1 << 1;
    public static final int EXEC_ARGS_FAULT = 1 << 2;

    // enum net_flags
    public static final int NET_ADDR_FAULT = 1;
    public static final int NET_ADDR_FROM_SOCKET = 1 << 1;
    public static final int NET_UNIX_ABSTRACT = 1 << 2;
    public static final int NET_ADDR_NONE = 1 << 3;

    public static final StructLayout EVENT_HEADER = MemoryLayout.structLayout(
            ValueLayout.JAVA_LONG.withName("boot_ns"),
            ValueLayout.JAVA_LONG.withName("cgroup_id"),
            ValueLayout.JAVA_INT.withName("kind"),
            ValueLayout.JAVA_INT.withName("session_slot"),
            ValueLayout.JAVA_INT.withName("pid"),
            ValueLayout.JAVA_INT.withName("tid"),
            ValueLayout.JAVA_INT.withName("ppid"),
            ValueLayout.JAVA_INT.withName("uid"),
            MemoryLayout.sequenceLayout(TASK_COMM_LEN, ValueLayout.JAVA_BYTE).withName("comm"))
            .withName("event_header");

    public static final StructLayout EXEC_EVENT = MemoryLayout.structLayout(
            EVENT_HEADER.withName("hdr"),
            ValueLayout.JAVA_INT.withName("flags"),
            ValueLayout.JAVA_INT.withName("argc"),
            ValueLayout.JAVA_INT.withName("gid"),
            ValueLayout.JAVA_INT.withName("euid"),
            ValueLayout.JAVA_INT.withName("egid"),
            ValueLayout.JAVA_SHORT.withName("filename_len"),
            ValueLayout.JAVA_SHORT.withName("args_len"),
            ValueLayout.JAVA_SHORT.withName("exe_len"),
            ValueLayout.JAVA_SHORT.withName("exe_flags"),
            ValueLayout.JAVA_SHORT.withName("cwd_len"),
            ValueLayout.JAVA_SHORT.withName("cwd_flags"),
            MemoryLayout.sequenceLayout(EXEC_DATA_MAX, ValueLayout.JAVA_BYTE).withName("data"))
            .withName("exec_event");

    public static final StructLayout FORK_EVENT = MemoryLayout.structLayout(
            EVENT_HEADER.withName("hdr"),
            ValueLayout.JAVA_INT.withName("child_pid"),
            ValueLayout.JAVA_INT.withName("child_tid"))
            .withName("fork_event");

    public static final StructLayout EXIT_EVENT = MemoryLayout.structLayout(
            EVENT_HEADER.withName("hdr"),
            ValueLayout.JAVA_INT.withName("exit_code"),
            ValueLayout.JAVA_INT.withName("reserved"))
            .withName("exit_event");

    public static final StructLayout FILE_EVENT = MemoryLayout.structLayout(
            EVENT_HEADER.withName("hdr"),
            ValueLayout.JAVA_LONG.withName("result"),
            ValueLayout.JAVA_LONG.withName("open_flags"),
            ValueLayout.JAVA_INT.withName("mode"),
            ValueLayout.JAVA_INT.withName("uid"),
            ValueLayout.JAVA_INT.withName("gid"),
            ValueLayout.JAVA_INT.withName("dirfd"),
            ValueLayout.JAVA_INT.withName("dirfd2"),
            ValueLayout.JAVA_SHORT.withName("op"),
            ValueLayout.JAVA_SHORT.withName("syscall_nr"),
            MemoryLayout.sequenceLayout(FILE_STRINGS, ValueLayout.JAVA_SHORT).withName("len"),
            MemoryLayout.sequenceLayout(FILE_STRINGS, ValueLayout.JAVA_SHORT).withName("str_flags"),
            ValueLayout.JAVA_INT.withName("reserved"),
            MemoryLayout.sequenceLayout(FILE_DATA_MAX, ValueLayout.JAVA_BYTE).withName("data"))
            .withName("file_event");

    public static final StructLayout NET_EVENT = MemoryLayout.structLayout(
            EVENT_HEADER.withName("hdr"),
            ValueLayout.JAVA_LONG.withName("result"),
            ValueLayout.JAVA_INT.withName("fd"),
            ValueLayout.JAVA_SHORT.withName("op"),
            ValueLayout.JAVA_SHORT.withName("syscall_nr"),
            ValueLayout.JAVA_SHORT.withName("family"),
            ValueLayout.JAVA_SHORT.withName("sock_type"),
            ValueLayout.JAVA_SHORT.withName("protocol"),
            ValueLayout.JAVA_SHORT.withName("port"),
            ValueLayout.JAVA_SHORT.withName("flags"),
            ValueLayout.JAVA_SHORT.withName("path_len"),
            ValueLayout.JAVA_INT.withName("scope_id"),
            MemoryLayout.sequenceLayout(16, ValueLayout.JAVA_BYTE).withName("addr"),
            MemoryLayout.sequenceLayout(UNIX_PATH_BYTES, ValueLayout.JAVA_BYTE).withName("path"),
            ValueLayout.JAVA_INT.withName("reserved"))
            .withName("net_event");

    public static final long HDR_BOOT_NS = EVENT_HEADER.byteOffset(groupElement("boot_ns"));
    public static final long HDR_CGROUP_ID = EVENT_HEADER.byteOffset(groupElement("cgroup_id"));
    public static final long HDR_KIND = EVENT_HEADER.byteOffset(groupElement("kind"));
    public static final long HDR_SESSION_SLOT = EVENT_HEADER.byteOffset(groupElement("session_slot"));
    public static final long HDR_PID = EVENT_HEADER.byteOffset(groupElement("pid"));
    public static final long HDR_TID = EVENT_HEADER.byteOffset(groupElement("tid"));
    public static final long HDR_PPID = EVENT_HEADER.byteOffset(groupElement("ppid"));
    public static final long HDR_UID = EVENT_HEADER.byteOffset(groupElement("uid"));
    public static final long HDR_COMM = EVENT_HEADER.byteOffset(groupElement("comm"));

    public static final long EXEC_FLAGS = EXEC_EVENT.byteOffset(groupElement("flags"));
    public static final long EXEC_ARGC = EXEC_EVENT.byteOffset(groupElement("argc"));
    public static final long EXEC_GID = EXEC_EVENT.byteOffset(groupElement("gid"));
    public static final long EXEC_EUID = EXEC_EVENT.byteOffset(groupElement("euid"));
    public static final long EXEC_EGID = EXEC_EVENT.byteOffset(groupElement("egid"));
    public static final long EXEC_FILENAME_LEN = EXEC_EVENT.byteOffset(groupElement("filename_len"));
    public static final long EXEC_ARGS_LEN = EXEC_EVENT.byteOffset(groupElement("args_len"));
    public static final long EXEC_EXE_LEN = EXEC_EVENT.byteOffset(groupElement("exe_len"));
    public static final long EXEC_EXE_FLAGS = EXEC_EVENT.byteOffset(groupElement("exe_flags"));
    public static final long EXEC_CWD_LEN = EXEC_EVENT.byteOffset(groupElement("cwd_len"));
    public static final long EXEC_CWD_FLAGS = EXEC_EVENT.byteOffset(groupElement("cwd_flags"));
    public static final long EXEC_DATA = EXEC_EVENT.byteOffset(groupElement("data"));

    public static final long FORK_CHILD_PID = FORK_EVENT.byteOffset(groupElement("child_pid"));
    public static final long EXIT_CODE = EXIT_EVENT.byteOffset(groupElement("exit_code"));

    public static final long FILE_RESULT = FILE_EVENT.byteOffset(groupElement("result"));
    public static final long FILE_OPEN_FLAGS = FILE_EVENT.byteOffset(groupElement("open_flags"));
    public static final long FILE_MODE = FILE_EVENT.byteOffset(groupElement("mode"));
    public static final long FILE_UID = FILE_EVENT.byteOffset(groupElement("uid"));
    public static final long FILE_GID = FILE_EVENT.byteOffset(groupElement("gid"));
    public static final long FILE_DIRFD = FILE_EVENT.byteOffset(groupElement("dirfd"));
    public static final long FILE_DIRFD2 = FILE_EVENT.byteOffset(groupElement("dirfd2"));
    public static final long FILE_OP = FILE_EVENT.byteOffset(groupElement("op"));
    public static final long FILE_SYSCALL_NR = FILE_EVENT.byteOffset(groupElement("syscall_nr"));
    public static final long FILE_LEN = FILE_EVENT.byteOffset(groupElement("len"));
    public static final long FILE_STR_FLAGS = FILE_EVENT.byteOffset(groupElement("str_flags"));
    public static final long FILE_DATA = FILE_EVENT.byteOffset(groupElement("data"));

    public static final long NET_RESULT = NET_EVENT.byteOffset(groupElement("result"));
    public static final long NET_FD = NET_EVENT.byteOffset(groupElement("fd"));
    public static final long NET_OP = NET_EVENT.byteOffset(groupElement("op"));
    public static final long NET_SYSCALL_NR = NET_EVENT.byteOffset(groupElement("syscall_nr"));
    public static final long NET_FAMILY = NET_EVENT.byteOffset(groupElement("family"));
    public static final long NET_SOCK_TYPE = NET_EVENT.byteOffset(groupElement("sock_type"));
    public static final long NET_PROTOCOL = NET_EVENT.byteOffset(groupElement("protocol"));
    public static final long NET_PORT = NET_EVENT.byteOffset(groupElement("port"));
    public static final long NET_FLAGS = NET_EVENT.byteOffset(groupElement("flags"));
    public static final long NET_PATH_LEN = NET_EVENT.byteOffset(groupElement("path_len"));
    public static final long NET_SCOPE_ID = NET_EVENT.byteOffset(groupElement("scope_id"));
    public static final long NET_ADDR = NET_EVENT.byteOffset(groupElement("addr"));
    public static final long NET_PATH = NET_EVENT.byteOffset(groupElement("path"));

    private KernelEventLayouts() {}
}
