package dev.tether.events;

/**
 * {@link EventKind#EVENTS_LOST}: events that were produced but not recorded. An {@code EventsLost}
 * event for a session also means loss was <em>measured</em> for it, so a report with {@code count
 * = 0} is meaningful: the kernel consumer sends one at session end after reading its counters.
 *
 * @param source where they were lost: {@code kernel-ringbuf}, {@code bus:<subscriber>}, {@code store}
 * @param count events lost since the previous report from the same source
 */
public record LossDetail(String source, long count) implements EventDetail {
    @Override
    public LossDetail withinLimits() {
        return this;
    }
}
