package dev.tether.cli;

import dev.tether.cli.sandbox.SandboxOptions;
import dev.tether.sandbox.agent.Agent;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code tether <agent> [args]}: the agent in the agent image, with its API keys, its config
 * directory (after asking) and tether's CA. One subclass per agent so {@code --help} lists them.
 */
abstract class AgentCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Mixin SandboxOptions sandbox;

    @Parameters(arity = "0..*", paramLabel = "ARGS", description = "Arguments for the agent; unknown options go to the agent (put them after -- if they clash with tether's).")
    List<String> args = new ArrayList<>();

    abstract Agent agent();

    @Override
    public Integer call() {
        List<String> command = new ArrayList<>();
        command.add(agent().command());
        command.addAll(args);
        return RunCommand.runSandboxed(spec, sandbox, command, agent(), agent().command());
    }

    @Command(name = "claude", description = "Run Claude Code (@anthropic-ai/claude-code) in a governed sandbox.")
    static final class Claude extends AgentCommand {
        @Override
        Agent agent() {
            return Agent.CLAUDE;
        }
    }

    @Command(name = "codex", description = "Run Codex (@openai/codex) in a governed sandbox.")
    static final class Codex extends AgentCommand {
        @Override
        Agent agent() {
            return Agent.CODEX;
        }
    }

    @Command(name = "gemini", description = "Run Gemini CLI (@google/gemini-cli) in a governed sandbox.")
    static final class Gemini extends AgentCommand {
        @Override
        Agent agent() {
            return Agent.GEMINI;
        }
    }

    @Command(name = "qwen", description = "Run Qwen Code (@qwen-code/qwen-code) in a governed sandbox.")
    static final class Qwen extends AgentCommand {
        @Override
        Agent agent() {
            return Agent.QWEN;
        }
    }

    @Command(name = "opencode", description = "Run OpenCode (opencode-ai) in a governed sandbox.")
    static final class OpenCode extends AgentCommand {
        @Override
        Agent agent() {
            return Agent.OPENCODE;
        }
    }
}
