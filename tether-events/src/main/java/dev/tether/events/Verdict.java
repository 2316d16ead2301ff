package dev.tether.events;

import java.util.Optional;

/** What the policy said about an event, as recorded. The order is persisted (store masks): append only. */
public enum Verdict {
    ALLOW("allow"),
    DENY("deny"),
    /** No decision was made (lifecycle facts, operations no policy governs). */
    NONE("none"),
    /** Shadow mode: the policy denies, the operation was let through. */
    WOULD_DENY("would-deny");

    private final String jsonName;

    Verdict(String jsonName) {
        this.jsonName = jsonName;
    }

    public String jsonName() {
        return jsonName;
    }

    public static Optional<Verdict> fromJsonName(String name) {
        for (Verdict v : values()) {
            if (v.jsonName.equalsIgnoreCase(name)) {
                return Optional.of(v);
            }
        }
        return Optional.empty();
    }
}
