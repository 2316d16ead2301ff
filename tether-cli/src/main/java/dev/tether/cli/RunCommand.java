package dev.tether.cli;

import dev.tether.cli.control.ControlPlaneSettings;
import dev.tether.cli.sandbox.AgentMountPrompt;
import dev.tether.cli.sandbox.HostUser;
import dev.tether.cli.sandbox.SandboxOptions;
import dev.tether.cli.sandbox.SandboxPlanner;
import dev.tether.cli.sandbox.StdioTerminal;
import dev.tether.cli.session.HostAccess;
import dev.tether.cli.session.SandboxSession;
import dev.tether.sandbox.agent.Agent;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code tether run [options] -- CMD [ARGS...]}: runs a command in a governed sandbox. */
@Command(name = "run", description = "Run a command in a governed sandbox and report what it does.",
        sortOptions = false)
public final class RunCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Mixin SandboxOptions sandbox;

    @Option(names = "--agent", paramLabel = "NAME", description = "The principal's agent name (Agent::\"NAME\"); default: the command's name.")
    String agentName;

    @Parameters(arity = "1..*", paramLabel = "CMD", description = "The command and its arguments (after --).")
    List<String> command;

    @Override
    public Integer call() {
        String agent = agentName != null ? agentName : Path.of(command.getFirst()).getFileName().toString();
        return runSandboxed(spec, sandbox, command, null, agent);
    }

    /** Shared by {@code tether run} and the agent commands. */
    static int runSandboxed(CommandSpec spec, SandboxOptions options, List<String> command, Agent agent, String agentName) {
        HostAccess.requireRoot("tether " + spec.name());
        var env = System.getenv();
        var err = spec.commandLine().getErr();
        var prompt = new AgentMountPrompt(new BufferedReader(new InputStreamReader(System.in)), err,
                StdioTerminal.isInteractive(), env, HostUser.home(env));
        SandboxPlanner.Planned planned = new SandboxPlanner(options, env, err, prompt).plan(command, agent, agentName);
        dev.tether.policy.Mode mode = dev.tether.policy.Mode.fromConfigName(options.mode).orElseThrow(() -> new UserError(
                "--mode must be enforce, shadow or permissive, not '" + options.mode + "'"));
        Path policy = options.monitorOnly ? null : options.policy != null ? options.policy : planned.settings().policy();
        if (options.monitorOnly && options.policy != null) {
            throw new UserError("--monitor-only and --policy contradict each other: choose one");
        }
        boolean lock = options.lock != null ? options.lock : Boolean.TRUE.equals(planned.settings().lock());
        if (options.monitorOnly && lock) {
            throw new UserError("--lock puts a Landlock floor under a policy, and --monitor-only has none: choose one"
                    + (options.lock == null ? " (lock = true comes from the config; --no-lock turns it off)" : ""));
        }
        if (options.monitorOnly) {
            err.println("tether: --monitor-only: nothing is enforced in this session");
        } else if (policy != null) {
            policy = policy.toAbsolutePath().normalize();
            if (!java.nio.file.Files.isRegularFile(policy)) {
                throw new UserError("policy file " + policy + " does not exist");
            }
        } else {
            policy = ProjectPolicy.ensure(planned.projectDir(), planned.agentName(), err);
        }
        var sessionOptions = new SandboxSession.Options(command, planned.projectDir(), options.eventsFile, options.quiet,
                policy, mode, lock);
        return new SandboxSession(sessionOptions, planned.engine(), planned.agentName(), err, planned.forSession())
                .controlPlane(controlPlane(options)).preloaded(((TetherCommand) spec.root().userObject()).preloaded()).run();
    }

    private static ControlPlaneSettings controlPlane(SandboxOptions options) {
        try {
            return ControlPlaneSettings.of(options.noUi, options.uiListen);
        } catch (IllegalArgumentException e) {
            throw new UserError("--ui-listen: " + e.getMessage());
        }
    }
}
