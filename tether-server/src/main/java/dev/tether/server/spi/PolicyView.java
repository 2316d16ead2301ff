package dev.tether.server.spi;

import java.time.Instant;

/**
 * The policy currently in force: its Cedar text, a generation that grows on every accepted change,
 * where it came from (file path or "runtime"), and when it was loaded.
 */
public record PolicyView(String text, long generation, String source, Instant loadedAt) {}
