package dev.tether.sandbox;

/** The program to run does not exist in the sandbox's view of the file system. */
public final class CommandNotFoundException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public CommandNotFoundException(String command) {
        super(command + ": command not found");
    }
}
