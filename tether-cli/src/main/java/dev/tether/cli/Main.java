package dev.tether.cli;

import java.util.Arrays;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of the {@code tether} command. */
public final class Main {
    private Main() {}

    public static void main(String[] args) {
        System.exit(newCommandLine(args).execute(args));
    }

    /** The full command tree, with tether's error handling; tests drive this directly. */
    public static CommandLine newCommandLine() {
        return configured(TetherCommand.SUBCOMMANDS);
    }

    /**
     * The tree {@code args} need: when they start with a subcommand's name, the root and that
     * subcommand only (building picocli's model of all thirteen, five of them agents sharing the
     * run options, was ~60-90 ms of every start's critical path); otherwise (help, version, a
     * typo to suggest a correction for) the full tree.
     */
    static CommandLine newCommandLine(String[] args) {
        if (args.length > 0) {
            for (Class<?> c : TetherCommand.SUBCOMMANDS) {
                Command command = c.getAnnotation(Command.class);
                if (command.name().equals(args[0]) || Arrays.asList(command.aliases()).contains(args[0])) {
                    return configured(List.of(c));
                }
            }
        }
        return newCommandLine();
    }

    private static CommandLine configured(List<Class<?>> subcommands) {
        CommandLine cli = new CommandLine(new TetherCommand());
        for (Class<?> c : subcommands) {
            cli.addSubcommand(c); // picocli's factory makes the instance
        }
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
