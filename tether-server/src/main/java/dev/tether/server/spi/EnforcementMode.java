package dev.tether.server.spi;

import java.util.Locale;
import java.util.Optional;

/**
 * How a session's enforcing layers apply decisions. Mirrors {@code dev.tether.policy.Mode}; kept
 * here so the control plane compiles before the policy module lands (the daemon maps one to the other).
 */
public enum EnforcementMode {
    /** Deny what the policy denies. */
    ENFORCE,
    /** Decide and record "would deny", but allow. */
    SHADOW,
    /** Allow everything, record it. */
    PERMISSIVE;

    @com.fasterxml.jackson.annotation.JsonValue
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Optional<EnforcementMode> fromWireName(String s) {
        if (s == null) {
            return Optional.empty();
        }
        for (EnforcementMode m : values()) {
            if (m.wireName().equalsIgnoreCase(s.trim())) {
                return Optional.of(m);
            }
        }
        return Optional.empty();
    }
}
