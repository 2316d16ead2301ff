package dev.tether.cli.sandbox;

import dev.tether.sandbox.agent.Agent;
import dev.tether.sandbox.config.ConfigWriter;
import dev.tether.sandbox.config.TetherConfig;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * Whether to mount an agent's config directory (its logins and settings) into the sandbox: the
 * remembered answer (project first, then global, as Leash does), else a question on the terminal
 * whose answer is kept for all projects, this project, or not at all. Without a terminal, and
 * without a remembered answer, the directory is not mounted.
 */
public final class AgentMountPrompt {
    private final BufferedReader in;
    private final PrintWriter out;
    private final boolean interactive;
    private final Map<String, String> env;
    private final Path home;

    public AgentMountPrompt(BufferedReader in, PrintWriter out, boolean interactive, Map<String, String> env, Path home) {
        this.in = in;
        this.out = out;
        this.interactive = interactive;
        this.env = env;
        this.home = home;
    }

    public boolean shouldMount(Agent agent, Path dir, TetherConfig config, Path project) {
        Optional<Boolean> remembered = config.projectOnly(project).agentMount(agent.command())
                .or(() -> config.global().agentMount(agent.command()));
        if (remembered.isPresent()) {
            return remembered.get();
        }
        String shown = dir.startsWith(home) ? "~/" + home.relativize(dir) : dir.toString();
        if (!interactive) {
            out.println("tether: not mounting " + shown + " (no answer remembered in " + config.file()
                    + "; run on a terminal to be asked, or set [volumes] " + agent.command() + " = true)");
            return false;
        }
        boolean yes = false;
        try {
            out.print("tether: mount " + shown + " into the sandbox (the agent's logins and settings)? [y/N] ");
            out.flush();
            String answer = line();
            yes = answer.equalsIgnoreCase("y") || answer.equalsIgnoreCase("yes");
            out.print("tether: remember this answer? 1) for all projects  2) only for " + project + "  3) just this once [3] ");
            out.flush();
            String scope = line();
            ConfigWriter writer = new ConfigWriter(env, home);
            switch (scope) {
                case "1" -> writer.rememberAgentMount(config.file(), agent.command(), null, yes);
                case "2" -> writer.rememberAgentMount(config.file(), agent.command(), project, yes);
                default -> { }
            }
            if (scope.equals("1") || scope.equals("2")) {
                out.println("tether: remembered in " + config.file());
            }
            return yes;
        } catch (IOException | RuntimeException e) {
            out.println("tether: could not remember the answer (" + e.getMessage() + "); using it for this run only");
            return yes;
        }
    }

    private String line() throws IOException {
        String s = in.readLine();
        return s == null ? "" : s.strip();
    }
}
