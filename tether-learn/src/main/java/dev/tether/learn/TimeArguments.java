package dev.tether.learn;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Points in time as people type them after {@code --since}: an ISO-8601 instant
 * ({@code 2026-11-27T05:29:51Z}, or with an offset), a date ({@code 2026-11-27}, midnight UTC), or
 * a duration back from now ({@code 90s}, {@code 30m}, {@code 2h}, {@code 7d}, {@code 1h30m}).
 */
public final class TimeArguments {
    private static final Pattern DURATION = Pattern.compile("(?:(\\d+)d)?(?:(\\d+)h)?(?:(\\d+)m)?(?:(\\d+)s)?");

    private TimeArguments() {}

    /** Nanoseconds since the epoch; {@link IllegalArgumentException} says what is accepted. */
    public static long parse(String text, Instant now) {
        String s = text.strip();
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
            return toNs(LocalDate.parse(s).atStartOfDay().toInstant(ZoneOffset.UTC));
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("'" + text + "' is not a time: write an instant (2026-11-27T05:29:51Z),"
                    + " a date (2026-11-27) or a duration back from now (30m, 2h, 7d, 1h30m)");
        }
    }

    /** A duration such as {@code 1h30m}, or null when {@code s} is not one. */
    public static Duration duration(String s) {
        if (s.isEmpty()) {
            return null;
        }
        Matcher m = DURATION.matcher(s);
        if (!m.matches()) {
            return null;
        }
        Duration d = Duration.ZERO;
        long[] unitSeconds = {86_400, 3_600, 60, 1};
        for (int i = 0; i < 4; i++) {
            if (m.group(i + 1) != null) {
                d = d.plusSeconds(Long.parseLong(m.group(i + 1)) * unitSeconds[i]);
            }
        }
        return d;
    }

    private static long toNs(Instant t) {
        return Math.addExact(Math.multiplyExact(t.getEpochSecond(), 1_000_000_000L), t.getNano());
    }
}
