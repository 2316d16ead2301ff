package dev.tether.cli.policy;

import dev.tether.cli.UserError;
import dev.tether.policy.Finding;
import dev.tether.policy.PolicyFileWriter;
import dev.tether.policy.PolicyFormat;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code tether policy fmt FILE...}: Cedar's formatter, only on policies that load. */
@Command(
        name = "fmt",
        mixinStandardHelpOptions = true,
        description = {"Format policies with Cedar's formatter (comments are kept).",
            "Prints the result unless --write or --check. A policy that does not load is never formatted.",
            "Exit status: 0 done, 1 --check found a file that is not formatted, 2 a file does not load."})
public final class PolicyFmtCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(arity = "1..*", paramLabel = "FILE", description = "Cedar policy files.")
    List<Path> files;

    @Option(names = {"-w", "--write"}, description = "Rewrite the files in place.")
    boolean write;

    @Option(names = "--check", description = "Only report files that are not formatted.")
    boolean check;

    @Override
    public Integer call() throws IOException {
        if (write && check) {
            throw new UserError("--write and --check exclude each other");
        }
        int status = 0;
        for (Path f : files) {
            String text;
            try {
                text = Files.readString(f, StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UserError("cannot read " + f + ": " + e.getMessage());
            }
            PolicyFormat.Result r = PolicyFormat.format(text, f.toString());
            if (!r.formatted()) {
                for (Finding x : r.findings()) {
                    spec.commandLine().getErr().println(x.render());
                }
                throw new UserError(f + " does not load; fix it before formatting (tether policy check " + f + ")");
            }
            if (check) {
                if (!r.text().equals(text)) {
                    spec.commandLine().getOut().println(f + ": not formatted");
                    status = 1;
                }
            } else if (write) {
                if (!r.text().equals(text)) {
                    PolicyFileWriter.replace(f, r.text());
                    spec.commandLine().getOut().println(f + ": formatted");
                }
            } else {
                spec.commandLine().getOut().print(r.text());
            }
        }
        spec.commandLine().getOut().flush();
        return status;
    }
}
