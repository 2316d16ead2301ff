package dev.tether.events.store;

/** One recorded report of lost events: when, for which session (null = host), where, how many, why. */
public record LossRecord(long timeNs, String session, String source, long count, String note) {}
