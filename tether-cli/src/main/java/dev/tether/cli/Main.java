package dev.tether.cli;

import picocli.CommandLine;

/** Entry point of the {@code tether} command. */
public final class Main {
    private Main() {}

    public static void main(String[] args) {
        System.exit(newCommandLine().execute(args));
    }

    /** The full command tree, with tether's error handling; tests drive this directly. */
    public static CommandLine newCommandLine() {
        CommandLine cli = new CommandLine(new TetherCommand());
        cli.setExecutionExceptionHandler(new UserErrorHandler());
        cli.setCaseInsensitiveEnumValuesAllowed(true);
        return cli;
    }
}
