package dev.tether.events.store;

import dev.tether.events.Event;

/** An event as read back from the store, with its row id (increasing in write order; a paging cursor). */
public record StoredEvent(long id, Event event) {}
