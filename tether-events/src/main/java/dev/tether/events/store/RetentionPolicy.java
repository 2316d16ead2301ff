package dev.tether.events.store;

import java.time.Duration;

/**
 * How much audit history a host keeps: events older than {@code maxAge} are deleted, and the
 * oldest events go first when the database grows past {@code maxBytes}.
 */
public record RetentionPolicy(Duration maxAge, long maxBytes) {
    public static final RetentionPolicy DEFAULT = new RetentionPolicy(Duration.ofDays(30), 2L << 30);

    public RetentionPolicy {
        if (maxAge.isNegative() || maxAge.isZero()) {
            throw new IllegalArgumentException("retention age must be positive");
        }
        if (maxBytes < 1 << 20) {
            throw new IllegalArgumentException("retention size must be at least 1 MiB");
        }
    }
}
