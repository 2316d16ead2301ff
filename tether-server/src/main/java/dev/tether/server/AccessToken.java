package dev.tether.server;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * The secret every control-plane request must carry. One per daemon, 256 random bits, compared in
 * constant time. {@link #toString()} never reveals it.
 */
public final class AccessToken {
    private static final int BYTES = 32;
    private final String value;

    private AccessToken(String value) {
        this.value = value;
    }

    /** A fresh token from the platform's strong random source. */
    public static AccessToken random() {
        byte[] b = new byte[BYTES];
        new SecureRandom().nextBytes(b);
        return new AccessToken(Base64.getUrlEncoder().withoutPadding().encodeToString(b));
    }

    /** A token chosen by the caller (e.g. read from a 0600 file so a restarted daemon keeps its URL). */
    public static AccessToken of(String value) {
        if (value == null || value.length() < 32 || !value.matches("[A-Za-z0-9_-]+")) {
            throw new IllegalArgumentException("access token must be at least 32 characters of [A-Za-z0-9_-]");
        }
        return new AccessToken(value);
    }

    /** The secret itself, for printing the ready-to-open URL. */
    public String reveal() {
        return value;
    }

    public boolean matches(String presented) {
        if (presented == null) {
            return false;
        }
        return MessageDigest.isEqual(
                value.getBytes(StandardCharsets.US_ASCII), presented.getBytes(StandardCharsets.US_ASCII));
    }

    @Override
    public String toString() {
        return "AccessToken[redacted]";
    }
}
