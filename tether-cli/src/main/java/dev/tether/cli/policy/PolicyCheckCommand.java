package dev.tether.cli.policy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tether.policy.Finding;
import dev.tether.policy.LoadResult;
import dev.tether.policy.PolicyLoader;
import dev.tether.policy.Severity;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code tether policy check FILE}: exit 0 if the policy loads, 1 if it does not. */
@Command(
        name = "check",
        mixinStandardHelpOptions = true,
        description = {"Validate, lint and compile a policy without running anything.",
            "Exit status: 0 the policy loads (warnings allowed), 1 it does not."})
public final class PolicyCheckCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "FILE", description = "The Cedar policy file.")
    Path file;

    @Option(names = "--principals", paramLabel = "FILE", description = "Principals file (TOML) with team memberships.")
    Path principals;

    @Option(names = "--json", description = "Print the result as JSON.")
    boolean json;

    @Override
    public Integer call() {
        LoadResult r = PolicyLoader.load(file, principals);
        boolean ok = r instanceof LoadResult.Loaded;
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            ObjectNode o = Json.MAPPER.createObjectNode();
            o.put("file", file.toString());
            o.put("valid", ok);
            o.put("statements", ok ? ((LoadResult.Loaded) r).snapshot().statements().size() : 0);
            o.set("findings", Json.findings(r.findings()));
            out.println(Json.write(o));
            return ok ? 0 : 1;
        }
        for (Finding f : r.findings()) {
            out.println(f.render());
            out.println();
        }
        long errors = r.findings().stream().filter(f -> f.severity() == Severity.ERROR).count();
        long warnings = r.findings().size() - errors;
        if (ok) {
            int n = ((LoadResult.Loaded) r).snapshot().statements().size();
            out.println(file + ": ok, " + n + (n == 1 ? " statement" : " statements")
                    + (warnings > 0 ? ", " + warnings + (warnings == 1 ? " warning" : " warnings") : ""));
            return 0;
        }
        out.println(file + ": invalid, " + errors + (errors == 1 ? " error" : " errors")
                + (warnings > 0 ? ", " + warnings + (warnings == 1 ? " warning" : " warnings") : ""));
        return 1;
    }
}
