package dev.tether.learn;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeParseException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Points in time as people type them after {@code --since}, read the way {@code tether log} reads
 * them: a duration back from now ({@code 90s}, {@code 30m}, {@code 2h}, {@code 1h30m}, {@code 7d},
 * {@code 1w}), an instant ({@code 2026-11-27T05:29:51Z}, or with an offset), a local date and time
 * ({@code 2026-11-27 05:29[:51]}), or a date (its local midnight).
 */
public final class TimeArguments {
    private static final Pattern DURATION =
            Pattern.compile("(?:(\\d+)w)?(?:(\\d+)d)?(?:(\\d+)h)?(?:(\\d+)m)?(?:(\\d+)s)?");

    private TimeArguments() {}

    /** Nanoseconds since the epoch; {@link IllegalArgumentException} says what is accepted. */
    public static long parse(String text, Instant now, ZoneId zone) {
        String s = text.strip();
        try {
            Duration back = duration(s);
            if (back != null) {
                return toNs(now.minus(back));
            }
            try {
                return toNs(Instant.parse(s));
            } catch (DateTimeParseException e) {
                // next form
            }
            try {
                return toNs(OffsetDateTime.parse(s).toInstant());
            } catch (DateTimeParseException e) {
                // next form
            }
            try {
                return toNs(LocalDateTime.parse(s.replace(' ', 'T')).atZone(zone).toInstant());
            } catch (DateTimeParseException e) {
                // next form
            }
            return toNs(LocalDate.parse(s).atStartOfDay(zone).toInstant());
        } catch (DateTimeParseException | ArithmeticException e) {
            throw new IllegalArgumentException("'" + text + "' is not a time: write a duration back from now (30m, 2h, 7d,"
                    + " 1h30m), an instant (2026-11-27T05:29:51Z), a local time (2026-11-27 05:29) or a date (2026-11-27)");
        }
    }

    /** A duration such as {@code 1h30m}, or null when {@code s} is not one (or too long to be one). */
    public static Duration duration(String s) {
        if (s.isEmpty()) {
            return null;
        }
        Matcher m = DURATION.matcher(s);
        if (!m.matches()) {
            return null;
        }
        Duration d = Duration.ZERO;
        long[] unitSeconds = {7 * 86_400L, 86_400L, 3_600L, 60L, 1L};
        try {
            for (int i = 0; i < unitSeconds.length; i++) {
                if (m.group(i + 1) != null) {
                    d = d.plusSeconds(Math.multiplyExact(Long.parseLong(m.group(i + 1)), unitSeconds[i]));
                }
            }
        } catch (NumberFormatException | ArithmeticException e) {
            return null;
        }
        return d;
    }

    private static long toNs(Instant t) {
        return Math.addExact(Math.multiplyExact(t.getEpochSecond(), 1_000_000_000L), t.getNano());
    }
}
