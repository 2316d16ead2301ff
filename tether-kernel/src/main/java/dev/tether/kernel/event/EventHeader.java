package dev.tether.kernel.event;

/**
 * Fields every kernel event carries (C: {@code struct event_header} in events.h).
 *
 * @param wallTimeNs nanoseconds since the epoch (boot clock plus the offset measured at start)
 * @param cgroupId the task's own cgroup2 id, possibly a descendant of the session's
 * @param kind the C {@code enum event_kind} value
 * @param sessionSlot which registered sandbox the task belongs to
 * @param pid thread-group id in the initial pid namespace
 * @param tid thread id in the initial pid namespace
 * @param ppid the parent's thread-group id
 * @param uid real uid
 * @param comm the task's comm, in {@link dev.tether.events.KernelText}'s escaped form when {@code commEscaped}
 */
public record EventHeader(long wallTimeNs, long cgroupId, int kind, int sessionSlot, int pid, int tid, int ppid,
        int uid, String comm, boolean commEscaped) {

    /** A header for records too short to carry one. */
    static EventHeader unknown() {
        return new EventHeader(0, 0, 0, -1, 0, 0, 0, 0, "", false);
    }
}
