package dev.tether.events;

import java.util.Optional;

/**
 * Faithfulness marks on an event. An {@code *_ESCAPED} field held bytes that were not valid UTF-8:
 * it is written in {@link KernelText}'s escaped form ({@code \xNN} per invalid byte, {@code \\} per
 * backslash) and {@link KernelText#unescape} gives back the exact bytes. Without the flag the field
 * is the exact text. A {@code *_TRUNCATED} field is a prefix of what the process used.
 */
public enum EventFlag {
    RESOURCE_TRUNCATED("resource_truncated"),
    RESOURCE_ESCAPED("resource_escaped"),
    EXE_TRUNCATED("exe_truncated"),
    EXE_ESCAPED("exe_escaped"),
    COMM_ESCAPED("comm_escaped"),
    /** Fewer arguments or shorter arguments than the process had; {@link ExecDetail#argc()} is the real count. */
    ARGV_TRUNCATED("argv_truncated"),
    /** Some text in the detail record (other than argv) was cut to the limit. */
    DETAIL_TRUNCATED("detail_truncated"),
    /** Some text in the detail record (argv, cwd, target, ...) is in escaped form. */
    DETAIL_ESCAPED("detail_escaped");

    private final String jsonName;

    EventFlag(String jsonName) {
        this.jsonName = jsonName;
    }

    public String jsonName() {
        return jsonName;
    }

    public static Optional<EventFlag> fromJsonName(String name) {
        for (EventFlag f : values()) {
            if (f.jsonName.equals(name)) {
                return Optional.of(f);
            }
        }
        return Optional.empty();
    }
}
