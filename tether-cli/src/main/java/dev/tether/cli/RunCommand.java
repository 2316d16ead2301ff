package dev.tether.cli;

import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code tether run -- CMD [ARGS...]}: runs a command in a governed sandbox. */
@Command(name = "run", description = "Run a command in a governed sandbox.")
public final class RunCommand implements Callable<Integer> {
    @Parameters(arity = "1..*", paramLabel = "CMD", description = "The command and its arguments (after --).")
    List<String> command;

    @Override
    public Integer call() {
        throw new UserError("run is not implemented yet", 1);
    }
}
