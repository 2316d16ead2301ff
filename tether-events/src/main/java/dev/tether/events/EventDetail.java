package dev.tether.events;

/**
 * The typed part of an event that only its family has. Closed: each {@link EventKind} names the one
 * record it carries ({@link EventKind#detailType()}).
 */
public sealed interface EventDetail
        permits ExecDetail, ForkDetail, ExitDetail, FileDetail, NetworkDetail, HttpDetail, McpDetail,
                PolicyDetail, SessionDetail, LossDetail, GapDetail {

    /**
     * This detail with every text cut to {@link EventLimits}; {@code this} when nothing was cut.
     * {@link Event.Builder#build()} applies it and flags the event when it cut something.
     */
    EventDetail withinLimits();
}
