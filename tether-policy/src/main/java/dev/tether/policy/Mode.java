package dev.tether.policy;

import java.util.Locale;
import java.util.Optional;

/**
 * How an enforcing layer applies a decision for a session. The policy engine always decides the
 * same way; the mode only changes what the layer does with a deny.
 */
public enum Mode {
    /** Denies are enforced. */
    ENFORCE,
    /** Decisions are recorded ("would deny") but everything is allowed. */
    SHADOW,
    /** Everything is allowed and recorded; for discovering what an agent needs. */
    PERMISSIVE;

    /** Whether a layer in this mode blocks the operation the decision is about. */
    public boolean blocks(Decision decision) {
        return this == ENFORCE && !decision.allowed();
    }

    /** The lower-case name used on the command line and in config ({@code enforce}, ...). */
    public String configName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Optional<Mode> fromConfigName(String name) {
        for (Mode m : values()) {
            if (m.configName().equals(name)) {
                return Optional.of(m);
            }
        }
        return Optional.empty();
    }
}
