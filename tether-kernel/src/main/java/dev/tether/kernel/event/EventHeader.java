package dev.tether.kernel.event;

/**
 * Fields every kernel event carries (C: {@code struct event_header} in events.h).
 *
 * @param wallTimeNs nanoseconds since the epoch (boot clock plus the offset measured at start)
 * @param cgroupId the task's own cgroup2 id, possibly a descendant of the session's
 * @param sessionSlot which registered sandbox the task belongs to
 * @param pid thread-group id in the initial pid namespace
 */
public record EventHeader(
        long wallTimeNs, long cgroupId, int kind, int sessionSlot, int pid, int tid, int ppid, int uid, String comm) {}
