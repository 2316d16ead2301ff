package dev.tether.learn;

/**
 * A session as the recorded trail knows it.
 *
 * @param agent the principal's agent name, or null when none was recorded
 * @param firstNs time of its earliest recorded event
 * @param lastNs time of its latest recorded event
 * @param events how many events were recorded for it
 */
public record RecordedSession(String id, String agent, long firstNs, long lastNs, long events) {}
