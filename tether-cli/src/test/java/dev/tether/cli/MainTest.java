package dev.tether.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import org.junit.jupiter.api.Test;

class MainTest {
    private static String usage(CommandLine cli, String sub) {
        return cli.getSubcommands().get(sub).getUsageMessage(CommandLine.Help.Ansi.OFF);
    }

    private static String run(CommandLine cli, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));
        int code = cli.execute(args);
        return code + "\n" + out + err;
    }

    @Test
    void aSubcommandsArgumentsGetThatSubcommandAloneWithTheSameOptionsAndHelp() {
        CommandLine full = Main.newCommandLine();
        assertThat(full.getSubcommands()).hasSizeGreaterThanOrEqualTo(TetherCommand.SUBCOMMANDS.size());
        for (Class<?> c : TetherCommand.SUBCOMMANDS) {
            String name = c.getAnnotation(Command.class).name();
            CommandLine only = Main.newCommandLine(new String[] {name, "--help"});
            assertThat(only.getSubcommands()).as(name).containsOnlyKeys(name);
            assertThat(usage(only, name)).as(name).isEqualTo(usage(full, name));
            boolean agent = java.util.Arrays.stream(dev.tether.sandbox.agent.Agent.values()).anyMatch(a -> a.command().equals(name));
            if (!agent) { // an agent takes --help as its own and would start a session
                assertThat(run(only, name, "--help")).as(name).isEqualTo(run(Main.newCommandLine(), name, "--help"));
            }
        }
    }

    @Test
    void agentsStillTakeOptionsTetherDoesNotKnowAsTheAgentsOwn() {
        CommandLine only = Main.newCommandLine(new String[] {"claude", "--version"});
        assertThat(only.getSubcommands().get("claude").isUnmatchedOptionsArePositionalParams()).isTrue();
    }

    @Test
    void helpVersionAndUnknownWordsGetTheFullTree() {
        int all = Main.newCommandLine().getSubcommands().size();
        assertThat(Main.newCommandLine(new String[] {"--help"}).getSubcommands()).hasSize(all);
        assertThat(Main.newCommandLine(new String[] {}).getSubcommands()).hasSize(all);
        assertThat(Main.newCommandLine(new String[] {"rnu"}).getSubcommands()).hasSize(all);
        assertThat(run(Main.newCommandLine(new String[] {"rnu"}), "rnu")).isEqualTo(run(Main.newCommandLine(), "rnu"))
                .contains("'rnu'");
    }
}
