package dev.tether.cli;

/** A failure the user can act on: printed as one line, never as a stack trace. */
public class UserError extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final int exitCode;

    public UserError(String message, int exitCode) {
        super(message);
        this.exitCode = exitCode;
    }

    public UserError(String message) {
        this(message, 2);
    }

    public int exitCode() {
        return exitCode;
    }
}
