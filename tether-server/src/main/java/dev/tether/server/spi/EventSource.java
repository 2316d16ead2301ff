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
}
