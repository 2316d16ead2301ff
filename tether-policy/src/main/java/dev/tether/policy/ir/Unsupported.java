package dev.tether.policy.ir;

/**
 * A construct the compiler cannot enforce exactly. {@code locator} is source text to point at
 * (the first token of the statement that equals it), or null for the statement start.
 */
public final class Unsupported extends Exception {
    private static final long serialVersionUID = 1L;
    private final String code;
    private final String suggestion;
    private final String locator;

    public Unsupported(String code, String message, String suggestion, String locator) {
        super(message, null, false, false);
        this.code = code;
        this.suggestion = suggestion;
        this.locator = locator;
    }

    public String code() {
        return code;
    }

    public String suggestion() {
        return suggestion;
    }

    public String locator() {
        return locator;
    }
}
