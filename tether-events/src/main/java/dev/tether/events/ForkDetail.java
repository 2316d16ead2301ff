package dev.tether.events;

/** {@link EventKind#PROCESS_FORK}: the event's pid is the parent, {@code childPid} the new process. */
public record ForkDetail(int childPid) implements EventDetail {
    @Override
    public ForkDetail withinLimits() {
        return this;
    }
}
