package dev.tether.server.spi;

import java.util.function.Consumer;

/**
 * What the control plane needs from the event pipeline: a query over stored events (the audit
 * store) and a live subscription (the event bus). The daemon implements it over the events module;
 * {@link dev.tether.server.standalone.InMemoryEventLog} is a self-contained implementation.
 */
public interface EventSource {
    /** Stored events matching {@code query}, newest first. */
    EventPage query(EventQuery query);

    /**
     * Delivers every event published from now on to {@code consumer}. The consumer must not block:
     * the control plane's consumer only enqueues. Close the returned handle to stop.
     */
    AutoCloseable subscribe(String name, Consumer<ActivityEvent> consumer);

    /**
     * The seq up to which stored events have been (or are being) handed to subscribers, when
     * delivery can lag behind storage (a feed that follows the store). A live stream's backlog
     * must end there: a backlog reaching past it would make the events still to be delivered look
     * like duplicates, and a page opened during a flood would show nothing new until the feed
     * caught up. Empty: every stored event has been delivered.
     */
    default java.util.OptionalLong deliveredThrough() {
        return java.util.OptionalLong.empty();
    }
}
