package dev.tether.server.spi;

/** One process in an event's ancestry (the acting process first, then its parent, ...). */
public record ProcessInfo(int pid, String comm, String exe) {}
