package dev.tether.policy;

/**
 * A located problem in a policy (or principals) file.
 *
 * @param code stable identifier, e.g. {@code TP001}; see docs/policy.md for the list
 * @param line 1-based
 * @param column 1-based, counted in characters
 * @param lineText the offending line as written (empty if the location is the end of the file)
 * @param suggestion what to write instead; may be empty when there is nothing better to say
 */
public record Finding(
        String code,
        Severity severity,
        String file,
        int line,
        int column,
        String lineText,
        String message,
        String suggestion) {

    /**
     * The finding the way compilers print one:
     * <pre>
     * policy.cedar:3:14: error TP010: unknown action Action::"FileOpn"
     *   permit(principal, action == Action::"FileOpn", resource);
     *                               ^
     *   help: did you mean Action::"FileOpen"?
     * </pre>
     */
    public String render() {
        StringBuilder sb = new StringBuilder();
        sb.append(file).append(':').append(line).append(':').append(column).append(": ")
                .append(severity == Severity.ERROR ? "error" : "warning").append(' ')
                .append(code).append(": ").append(message);
        if (!lineText.isEmpty()) {
            sb.append("\n  ").append(lineText.stripTrailing()).append("\n  ");
            for (int i = 1; i < column && i - 1 < lineText.length(); i++) {
                sb.append(lineText.charAt(i - 1) == '\t' ? '\t' : ' ');
            }
            sb.append('^');
        }
        if (!suggestion.isEmpty()) {
            sb.append("\n  help: ").append(suggestion);
        }
        return sb.toString();
    }
}
