package dev.tether.cli.control;

import dev.tether.events.Event;
import dev.tether.events.EventBus;
import dev.tether.events.Subscription;
import dev.tether.events.tree.ProcessStep;
import dev.tether.events.tree.ProcessTree;
import dev.tether.server.spi.ActivityEvent;
import dev.tether.server.spi.EventPage;
import dev.tether.server.spi.EventQuery;
import dev.tether.server.spi.EventSource;
import dev.tether.server.standalone.InMemoryEventLog;
import java.util.List;
import java.util.function.Consumer;

/**
 * The control plane's events when the audit store cannot be read: the session's own bus, kept in
 * memory (the newest {@value #CAPACITY}) and numbered in arrival order, so queries and the live
 * stream still agree on {@code seq}. Only this daemon's events since it started are there.
 */
final class BusEventSource implements EventSource, AutoCloseable {
    static final int CAPACITY = 100_000;
    /** The bus queue: a slow control plane loses events from this view (counted), never slows the session. */
    private static final int QUEUE = 1 << 16;

    private final InMemoryEventLog log = new InMemoryEventLog(CAPACITY);
    private final ActivityEvents activity = new ActivityEvents();
    private final ProcessTree tree = new ProcessTree(); // the subscription's thread only
    private final Subscription subscription;

    BusEventSource(EventBus bus) {
        subscription = bus.subscribe("control-plane", QUEUE, this::accept);
    }

    private void accept(Event e) {
        tree.apply(e);
        List<ProcessStep> parents = e.ppid() > 0 ? tree.ancestry(e.ppid(), e.timeNs()) : List.of();
        log.publish(activity.from(0, e, ActivityEvents.chain(e, parents)));
    }

    /** Events this view lost because it fell behind the bus. */
    long dropped() {
        return subscription.dropped();
    }

    @Override
    public EventPage query(EventQuery query) {
        return log.query(query);
    }

    @Override
    public AutoCloseable subscribe(String name, Consumer<ActivityEvent> consumer) {
        return log.subscribe(name, consumer);
    }

    @Override
    public void close() {
        subscription.close();
    }
}
