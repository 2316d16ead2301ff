package dev.tether.cli;

import dev.tether.cli.log.LogCommand;
import dev.tether.cli.session.PreloadedKernelObjects;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The root command. Subcommands are listed in {@link #SUBCOMMANDS} and live in their own classes;
 * a feature adds its command class and one entry to that list. They are added by {@link Main}
 * rather than named in the annotation, so a run can build only the one its arguments name.
 */
@Command(
        name = "tether",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = "Run AI coding agents under kernel-level governance, decided by one Cedar policy.")
public final class TetherCommand implements Runnable {
    /** In the order help lists them. */
    static final List<Class<?>> SUBCOMMANDS = List.of(
            RunCommand.class,
            DoctorCommand.class,
            dev.tether.cli.mcp.McpRelayCommand.class,
            dev.tether.cli.ui.UiCommand.class,
            AgentCommand.Claude.class,
            AgentCommand.Codex.class,
            AgentCommand.Gemini.class,
            AgentCommand.Qwen.class,
            AgentCommand.OpenCode.class,
            ImageCommand.class,
            SweepCommand.class,
            dev.tether.cli.policy.PolicyCommand.class,
            LogCommand.class);

    @Spec CommandSpec spec;

    private final PreloadedKernelObjects preloaded;

    public TetherCommand() {
        this(PreloadedKernelObjects.NONE);
    }

    /** The root of a spare's command: its sessions use what the spare loaded ahead. */
    TetherCommand(PreloadedKernelObjects preloaded) {
        this.preloaded = preloaded;
    }

    PreloadedKernelObjects preloaded() {
        return preloaded;
    }

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "Missing command: try 'tether --help'");
    }
}
