package dev.tether.learn;

import dev.tether.policy.Request;

/** What a recorded event asks the policy, or why it cannot be asked again. */
public sealed interface RecordedRequest {
    /** The request the enforcing layer decided, rebuilt from the event, with the recorded principal. */
    record Decidable(Request request) implements RecordedRequest {}

    /** The event does not carry enough to rebuild the request; {@code reason} says what is missing. */
    record NotDecidable(String reason) implements RecordedRequest {}
}
