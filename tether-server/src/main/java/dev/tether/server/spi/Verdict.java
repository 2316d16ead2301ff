package dev.tether.server.spi;

import java.util.Locale;
import java.util.Optional;

/** What happened to an action: allowed, denied, or allowed while the policy would have denied it (shadow/permissive). */
public enum Verdict {
    ALLOW,
    DENY,
    WOULD_DENY;

    @com.fasterxml.jackson.annotation.JsonValue
    public String wireName() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    public static Optional<Verdict> fromWireName(String s) {
        if (s == null) {
            return Optional.empty();
        }
        for (Verdict v : values()) {
            if (v.wireName().equalsIgnoreCase(s.trim())) {
                return Optional.of(v);
            }
        }
        return Optional.empty();
    }
}
