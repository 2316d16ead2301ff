package dev.tether.cli.policy;

import dev.tether.cli.UserError;
import dev.tether.cli.sandbox.HostUser;
import dev.tether.learn.EventSelection;
import dev.tether.learn.LearningJson;
import dev.tether.learn.RecordedEvents;
import dev.tether.learn.RecordedEventsException;
import dev.tether.learn.suggest.PolicySuggester;
import dev.tether.learn.suggest.SuggestOptions;
import dev.tether.learn.suggest.Suggestion;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code tether policy suggest}: a least-privilege policy from what recorded sessions did. */
@Command(
        name = "suggest",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = {"Suggest a least-privilege policy from recorded sessions: it permits what they did and",
            "nothing broader than the recording supports, every statement with its evidence; what they were",
            "refused is listed as \"not permitted; add if intended\". Same recording, same text.",
            "Reference: docs/policy-learning.md. Exit status: 0 written, 2 bad input."})
public final class PolicySuggestCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Mixin RecordingOptions recording;

    @Option(names = {"-o", "--out"}, paramLabel = "FILE", description = "Write the policy to FILE (default: standard output).")
    Path out;

    @Option(names = "--min-siblings", paramLabel = "N", defaultValue = "" + SuggestOptions.DEFAULT_MIN_SIBLINGS,
            description = "Grant a directory as a whole only when at least N of its entries were used (default: ${DEFAULT-VALUE}).")
    int minSiblings;

    @Option(names = "--min-subdomains", paramLabel = "N", defaultValue = "" + SuggestOptions.DEFAULT_MIN_SUBDOMAINS,
            description = "Grant *.zone only when at least N of its subdomains were reached (default: ${DEFAULT-VALUE}).")
    int minSubdomains;

    @Option(names = "--max-arg-patterns", paramLabel = "N", defaultValue = "" + SuggestOptions.DEFAULT_MAX_ARG_PATTERNS,
            description = "Constrain a program's arguments when at most N argument lists were seen (default: ${DEFAULT-VALUE}).")
    int maxArgPatterns;

    @Option(names = "--json", description = "Print the suggestion as JSON (the policy text, its statements with their evidence, the refusals).")
    boolean json;

    @Override
    public Integer call() {
        SuggestOptions options;
        try {
            options = new SuggestOptions(recording.projectAliases(), homes(), minSiblings, minSubdomains, maxArgPatterns);
        } catch (IllegalArgumentException e) {
            throw new UserError(e.getMessage());
        }
        Suggestion s;
        RecordedEvents recorded = recording.open();
        try {
            EventSelection sel = recording.selection(recorded);
            s = new PolicySuggester(options).suggest(recorded, sel);
        } catch (RecordedEventsException e) {
            throw new UserError(e.getMessage());
        } finally {
            closeQuietly(recorded);
        }
        if (s.eventsRead() == 0) {
            throw new UserError("no recorded events match (" + recorded.describe() + "); check --session and --since");
        }
        PrintWriter stdout = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        String text = json ? Json.write(LearningJson.suggestion(Json.MAPPER, s)) + "\n" : s.cedar();
        if (out != null) {
            write(out, text);
            err.println("tether: wrote " + s.statements().size() + " statements learned from " + s.eventsUsed() + " events in "
                    + s.sessions().size() + (s.sessions().size() == 1 ? " session" : " sessions") + " to " + out
                    + (s.notPermitted().isEmpty() ? "" : "; " + s.notPermitted().size() + " refusals listed as not permitted"));
            if (!json) {
                err.println("tether: check it with `tether policy check " + out + "`; see what it would change with"
                        + " `tether policy replay " + out + "`");
            }
        } else {
            stdout.print(text);
            stdout.flush();
        }
        return 0;
    }

    /** Home directories never granted as a whole: the invoking user's (sudo's too) and root's. */
    public static List<String> homes() {
        List<String> h = new ArrayList<>();
        h.add(System.getProperty("user.home"));
        h.add(HostUser.home(System.getenv()).toString());
        return h;
    }

    private static void write(Path file, String text) {
        Path target = file.toAbsolutePath();
        try {
            Files.createDirectories(target.getParent());
            Path tmp = Files.createTempFile(target.getParent(), ".tether-suggest-", ".tmp");
            try {
                Files.writeString(tmp, text);
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw new UserError("cannot write " + file + ": " + e.getMessage());
        }
    }

    static void closeQuietly(RecordedEvents recorded) {
        if (recorded instanceof AutoCloseable c) {
            try {
                c.close();
            } catch (Exception ignored) {
                // read-only: nothing was written that closing could lose
            }
        }
    }
}
