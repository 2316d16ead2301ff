package dev.tether.cli.log;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeParseException;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads {@code --since}: a duration back from now ({@code 90s}, {@code 10m}, {@code 2h},
 * {@code 1h30m}, {@code 3d}, {@code 1w}) or a point in time ({@code 2025-11-27T03:44:27Z},
 * {@code 2025-11-27T04:44:27+01:00}, local {@code 2025-11-27 03:44[:27]}, or a date, meaning its
 * local midnight).
 */
final class TimeSpec {
    private static final Pattern DURATION = Pattern.compile("(?:(\\d+)w)?(?:(\\d+)d)?(?:(\\d+)h)?(?:(\\d+)m)?(?:(\\d+)s)?");

    private TimeSpec() {}

    /** Nanoseconds since the epoch, or empty when {@code text} is neither form. */
    static Optional<Long> parse(String text, Instant now, ZoneId zone) {
        String t = text.strip();
        if (t.isEmpty()) {
            return Optional.empty();
        }
        Matcher m = DURATION.matcher(t);
        if (m.matches() && !t.isEmpty()) {
            Duration d = Duration.ZERO;
            long[] unitSeconds = {7 * 86_400L, 86_400L, 3_600L, 60L, 1L};
            try {
                for (int i = 0; i < unitSeconds.length; i++) {
                    if (m.group(i + 1) != null) {
                        d = d.plusSeconds(Math.multiplyExact(Long.parseLong(m.group(i + 1)), unitSeconds[i]));
                    }
                }
            } catch (NumberFormatException | ArithmeticException e) {
                return Optional.empty();
            }
            return nanos(now.minus(d));
        }
        try {
            return nanos(Instant.parse(t));
        } catch (DateTimeParseException ignored) {
            // Try the next form.
        }
        try {
            return nanos(OffsetDateTime.parse(t).toInstant());
        } catch (DateTimeParseException ignored) {
            // Try the next form.
        }
        try {
            return nanos(LocalDateTime.parse(t.replace(' ', 'T')).atZone(zone).toInstant());
        } catch (DateTimeParseException ignored) {
            // Try the next form.
        }
        try {
            return nanos(LocalDate.parse(t).atStartOfDay(zone).toInstant());
        } catch (DateTimeParseException ignored) {
            return Optional.empty();
        }
    }

    private static Optional<Long> nanos(Instant i) {
        try {
            return Optional.of(Math.addExact(Math.multiplyExact(i.getEpochSecond(), 1_000_000_000L), i.getNano()));
        } catch (ArithmeticException e) {
            return Optional.empty();
        }
    }
}
