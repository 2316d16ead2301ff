package dev.tether.events.store;

import java.util.List;
import java.util.OptionalLong;

/**
 * One page of a query's results, in the query's order.
 *
 * @param more whether further matching events exist past this page
 */
public record AuditPage(List<StoredEvent> events, boolean more) {
    public AuditPage {
        events = List.copyOf(events);
    }

    /** The cursor for the next page ({@link AuditQuery#after(long)} or {@link AuditQuery#before(long)}). */
    public OptionalLong nextCursor() {
        return more && !events.isEmpty() ? OptionalLong.of(events.getLast().id()) : OptionalLong.empty();
    }
}
