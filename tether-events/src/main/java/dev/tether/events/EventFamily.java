package dev.tether.events;

/** The families events fall into; each family has one kind of {@link EventDetail} (or a few, for process). */
public enum EventFamily {
    PROCESS,
    FILE,
    NETWORK,
    HTTP,
    MCP,
    POLICY,
    SESSION,
    /** Reports about the monitoring itself: lost events, enforcement gaps. */
    MONITOR
}
