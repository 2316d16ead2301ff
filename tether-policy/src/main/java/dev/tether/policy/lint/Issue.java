package dev.tether.policy.lint;

import dev.tether.policy.Severity;

/**
 * A finding before it is located: the statement it belongs to and what to point at
 * ({@code locator}: a token's text, or null for the statement start).
 */
public record Issue(String code, Severity severity, int statement, String locator, String message, String suggestion) {
    public static Issue error(String code, int statement, String locator, String message, String suggestion) {
        return new Issue(code, Severity.ERROR, statement, locator, message, suggestion);
    }

    public static Issue warning(String code, int statement, String locator, String message, String suggestion) {
        return new Issue(code, Severity.WARNING, statement, locator, message, suggestion);
    }
}
