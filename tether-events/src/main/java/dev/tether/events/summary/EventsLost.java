package dev.tether.events.summary;

/**
 * What is known about a session's lost events. {@code measured} means a producer measured its loss
 * (the kernel consumer read its counters); only then is "0 events lost" a fact. Unmeasured, {@code
 * counted} is a lower bound (drops the daemon saw itself).
 */
public record EventsLost(long counted, boolean measured) {
    public EventsLost {
        if (counted < 0) {
            throw new IllegalArgumentException("lost count cannot be negative");
        }
    }

    public static EventsLost measured(long count) {
        return new EventsLost(count, true);
    }

    public static EventsLost unmeasured(long countedSoFar) {
        return new EventsLost(countedSoFar, false);
    }
}
