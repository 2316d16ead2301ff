package dev.tether.sandbox.config;

/** A config file tether refuses, located at file:line:column, with a suggestion when there is one. */
public final class ConfigException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final String file;
    private final int line;
    private final int column;
    private final String problem;
    private final String suggestion;

    public ConfigException(String file, int line, int column, String problem, String suggestion) {
        super(file + ":" + line + ":" + column + ": " + problem + (suggestion == null ? "" : " (" + suggestion + ")"));
        this.file = file;
        this.line = line;
        this.column = column;
        this.problem = problem;
        this.suggestion = suggestion;
    }

    public String file() {
        return file;
    }

    public int line() {
        return line;
    }

    public int column() {
        return column;
    }

    public String problem() {
        return problem;
    }

    /** What to write instead, or null. */
    public String suggestion() {
        return suggestion;
    }
}
