package dev.tether.server.stream;

import dev.tether.server.spi.ActivityEvent;
import dev.tether.server.spi.PolicyView;
import dev.tether.server.spi.SessionView;

/** What the hub queues for a live-stream client. */
public sealed interface StreamMessage {
    record EventMessage(ActivityEvent event) implements StreamMessage {}

    record PolicyChanged(PolicyView policy) implements StreamMessage {}

    record SessionChanged(SessionView session) implements StreamMessage {}
}
