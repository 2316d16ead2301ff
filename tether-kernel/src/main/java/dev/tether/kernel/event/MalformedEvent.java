package dev.tether.kernel.event;

/** A record that could not be decoded (unknown kind, short record): counted and reported, never dropped silently. */
public record MalformedEvent(EventHeader header, int size, String reason) implements KernelEvent {}
