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
        // "tether claude --version": options tether does not know belong to the agent.
        for (var agent : dev.tether.sandbox.agent.Agent.values()) {
            CommandLine sub = cli.getSubcommands().get(agent.command());
            if (sub != null) {
                sub.setUnmatchedOptionsArePositionalParams(true);
            }
        }
        return cli;
    }
}
