package dev.tether.cli;

import dev.tether.cli.session.PreloadedKernelObjects;
import dev.tether.cli.spare.SpareProcess;
import java.util.Arrays;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of the {@code tether} command. */
public final class Main {
    private Main() {}

    public static void main(String[] args) {
        if (args.length == 1 && args[0].equals(SpareProcess.ARGUMENT)) {
            // Started ahead of the next command (docs/sandbox.md "Warm start"): run it once a client hands it over.
            SpareProcess.Adopted<PreloadedKernelObjects> adopted = SpareProcess.await(System.getenv(), Main::warmUp);
            int exit;
            try (PreloadedKernelObjects preloaded = adopted.prepared()) {
                exit = execute(adopted.arguments(), args.length, preloaded);
            }
            adopted.finish(exit);
            System.exit(exit);
        }
        System.exit(execute(args, args.length, PreloadedKernelObjects.NONE));
    }

    /**
     * Runs the command; after a session, with TETHER_SPARE=1, starts the spare for the next one
     * ({@code ownArgumentCount}: how many of this JVM's command-line words are tether's arguments).
     */
    private static int execute(String[] args, int ownArgumentCount, PreloadedKernelObjects preloaded) {
        CommandLine cli = newCommandLine(args, preloaded);
        int exit = cli.execute(args);
        var parsed = cli.getParseResult();
        if (parsed != null && parsed.subcommand() != null && SpareProcess.enabled(System.getenv())) {
            Object command = parsed.subcommand().commandSpec().userObject();
            if (command instanceof RunCommand || command instanceof AgentCommand) {
                SpareProcess.startSuccessor(ownArgumentCount, System.err);
            }
        }
        return exit;
    }

    /**
     * What a spare does before it waits, all of it work every session does first: picocli's model
     * of {@code run} built and a command line parsed (nothing executed), a policy compiled, the
     * proxy's native libraries loaded and its start run once on loopback, libbpf loaded, and the
     * monitor's and guards' BPF objects loaded into the kernel.
     */
    private static PreloadedKernelObjects warmUp() {
        newCommandLine(new String[] {"run"}).parseArgs("run", "--engine", "builtin", "-q", "--", "true");
        // A starter policy parsed, validated by cedar-java and compiled: its native library loaded
        // and the compiler's code run once, for a project that does not exist (nothing is read).
        dev.tether.policy.PolicyLoader.parse(dev.tether.policy.StarterPolicy.forProject(
                java.nio.file.Path.of("/nonexistent/tether-warm-up"), "claude"), "warm-up");
        try {
            dev.tether.proxy.TetherProxy.warmUp();
            return PreloadedKernelObjects.load(dev.tether.kernel.ffm.LibBpf.load());
        } catch (RuntimeException e) {
            return PreloadedKernelObjects.NONE; // no libbpf here: the session says so itself
        }
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
        return newCommandLine(args, PreloadedKernelObjects.NONE);
    }

    private static CommandLine newCommandLine(String[] args, PreloadedKernelObjects preloaded) {
        if (args.length > 0) {
            for (Class<?> c : TetherCommand.SUBCOMMANDS) {
                Command command = c.getAnnotation(Command.class);
                if (command.name().equals(args[0]) || Arrays.asList(command.aliases()).contains(args[0])) {
                    return configured(List.of(c), preloaded);
                }
            }
        }
        return configured(TetherCommand.SUBCOMMANDS, preloaded);
    }

    private static CommandLine configured(List<Class<?>> subcommands) {
        return configured(subcommands, PreloadedKernelObjects.NONE);
    }

    private static CommandLine configured(List<Class<?>> subcommands, PreloadedKernelObjects preloaded) {
        CommandLine cli = new CommandLine(new TetherCommand(preloaded));
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
