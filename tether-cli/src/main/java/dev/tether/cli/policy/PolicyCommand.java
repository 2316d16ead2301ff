package dev.tether.cli.policy;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code tether policy ...}: check, try, format, learn and replay Cedar policies without running anything. */
@Command(
        name = "policy",
        mixinStandardHelpOptions = true,
        description = "Check, try, format, learn and replay Cedar policies (reference: docs/policy.md, docs/policy-learning.md).",
        subcommands = {PolicyCheckCommand.class, PolicyDecideCommand.class, PolicyFmtCommand.class, PolicySuggestCommand.class,
            PolicyReplayCommand.class})
public final class PolicyCommand implements Runnable {
    @Spec CommandSpec spec;

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "Missing command: try 'tether policy --help'");
    }
}
