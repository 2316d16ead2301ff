package dev.tether.server.spi;

/**
 * One located problem in a policy text, as the editor shows it. Same fields as the policy module's
 * {@code Finding}; {@code line} and {@code column} are 1-based, 0 when unknown.
 */
public record LintFinding(
        String code,
        Severity severity,
        String file,
        int line,
        int column,
        String lineText,
        String message,
        String suggestion) {

    public enum Severity {
        ERROR,
        WARNING;

        @com.fasterxml.jackson.annotation.JsonValue
        public String wireName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    @com.fasterxml.jackson.annotation.JsonIgnore
    public boolean isError() {
        return severity == Severity.ERROR;
    }
}
