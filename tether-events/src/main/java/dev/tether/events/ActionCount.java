package dev.tether.events;

/** How many events of one kind got one verdict (a cell of a session's counts table). */
public record ActionCount(EventKind action, Verdict decision, long count) {}
