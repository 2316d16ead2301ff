package dev.tether.events.export;

import java.util.Locale;
import java.util.Optional;

/** File formats {@code tether log --export} writes. */
public enum ExportFormat {
    /** One event per line in tether's own schema (docs/events.md). */
    JSONL,
    /** One OCSF 1.1.0 event per line (docs/events.md, "OCSF export"). */
    OCSF;

    public static Optional<ExportFormat> fromName(String name) {
        try {
            return Optional.of(valueOf(name.toUpperCase(Locale.ROOT)));
        } catch (IllegalArgumentException | NullPointerException e) {
            return Optional.empty();
        }
    }

    public String cliName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
