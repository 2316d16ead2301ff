package dev.tether.kernel.event;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;

/**
 * Java mirrors of the C structs in {@code src/main/bpf/events.h}. KernelEventLayoutTest checks
 * every offset against the BTF of the compiled object, so a drift fails the build.
 */
public final class KernelEventLayouts {
    public static final int TASK_COMM_LEN = 16;
    public static final int EXEC_FILENAME_MAX = 4096;
    public static final int EXEC_ARGS_MAX = 8192;

    public static final int EVENT_EXEC = 1;

    public static final int FLAG_FILENAME_TRUNCATED = 1;
    public static final int FLAG_ARGS_TRUNCATED = 1 << 1;

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
            ValueLayout.JAVA_SHORT.withName("filename_len"),
            ValueLayout.JAVA_SHORT.withName("args_len"),
            MemoryLayout.sequenceLayout(EXEC_FILENAME_MAX + EXEC_ARGS_MAX, ValueLayout.JAVA_BYTE).withName("data"))
            .withName("exec_event");

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
    public static final long EXEC_FILENAME_LEN = EXEC_EVENT.byteOffset(groupElement("filename_len"));
    public static final long EXEC_ARGS_LEN = EXEC_EVENT.byteOffset(groupElement("args_len"));
    public static final long EXEC_DATA = EXEC_EVENT.byteOffset(groupElement("data"));

    private KernelEventLayouts() {}
}
