package dev.tether.server.spi;

import java.util.List;

/** One page of events, newest first; {@code nextBeforeSeq} is the cursor for the next (older) page, null at the end. */
public record EventPage(List<ActivityEvent> events, Long nextBeforeSeq) {}
