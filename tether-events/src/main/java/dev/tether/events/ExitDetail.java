package dev.tether.events;

/**
 * {@link EventKind#PROCESS_EXIT}: how the process (thread group) ended.
 *
 * @param exitCode the exit status when it exited normally (0 when killed)
 * @param signal the terminating signal, 0 when it exited normally
 */
public record ExitDetail(int exitCode, int signal, boolean coreDumped) implements EventDetail {
    @Override
    public ExitDetail withinLimits() {
        return this;
    }
}
