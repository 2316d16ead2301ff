package dev.tether.cli.session;

import java.security.SecureRandom;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/** Session ids sort by start time and are safe as file and cgroup names: 20261127-0342-k3f9q2. */
public final class SessionIds {
    private static final DateTimeFormatter PREFIX = DateTimeFormatter.ofPattern("yyyyMMdd-HHmm").withZone(ZoneOffset.UTC);
    private static final char[] ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789".toCharArray();

    private static final java.util.regex.Pattern SHAPE = java.util.regex.Pattern.compile("\\d{8}-\\d{4}-[a-z2-9]{6}");

    private final SecureRandom random = new SecureRandom();

    public static boolean isSessionId(String s) {
        return SHAPE.matcher(s).matches();
    }

    public String next(Instant now) {
        StringBuilder b = new StringBuilder(PREFIX.format(now)).append('-');
        for (int i = 0; i < 6; i++) {
            b.append(ALPHABET[random.nextInt(ALPHABET.length)]);
        }
        return b.toString();
    }
}
