package dev.tether.cli;

import dev.tether.cli.session.SandboxSession;
import dev.tether.policy.Mode;
import dev.tether.sandbox.builtin.BuiltinEngine;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code tether run [options] -- CMD [ARGS...]}: runs a command in a governed sandbox. */
@Command(name = "run", description = "Run a command in a governed sandbox and report what it does.",
        sortOptions = false)
public final class RunCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--events", paramLabel = "FILE", description = "Write every event as one JSON line to FILE.")
    Path eventsFile;

    @Option(names = {"-C", "--project"}, paramLabel = "DIR", description = "Project directory to mount (default: the current directory).")
    Path projectDir = Path.of("");

    @Option(names = {"-q", "--quiet"}, description = "Do not print a line per event to stderr.")
    boolean quiet;

    @Option(names = "--policy", paramLabel = "FILE", description = "Cedar policy to enforce (hot-reloaded when the file changes).")
    Path policyFile;

    @Option(names = "--mode", paramLabel = "MODE", description = "enforce (default), shadow (record would-deny, allow) or permissive.")
    String mode = "enforce";

    @Option(names = "--agent", paramLabel = "NAME", description = "The principal: Agent::\"NAME\" (default: the command's name).")
    String agent;

    @Parameters(arity = "1..*", paramLabel = "CMD", description = "The command and its arguments (after --).")
    List<String> command;

    @Override
    public Integer call() {
        Path project = projectDir.toAbsolutePath().normalize();
        if (!java.nio.file.Files.isDirectory(project)) {
            throw new UserError("project directory " + project + " does not exist");
        }
        Mode m = Mode.fromConfigName(mode).orElseThrow(() -> new UserError(
                "--mode must be enforce, shadow or permissive, not '" + mode + "'"));
        Path policy = policyFile == null ? null : policyFile.toAbsolutePath().normalize();
        if (policy != null && !java.nio.file.Files.isRegularFile(policy)) {
            throw new UserError("policy file " + policy + " does not exist");
        }
        String who = agent != null ? agent : Path.of(command.getFirst()).getFileName().toString();
        var options = new SandboxSession.Options(command, project, eventsFile, quiet, policy, m, who);
        return new SandboxSession(options, BuiltinEngine.detect(dev.tether.kernel.ffm.LibC.load()), spec.commandLine().getErr()).run();
    }
}
