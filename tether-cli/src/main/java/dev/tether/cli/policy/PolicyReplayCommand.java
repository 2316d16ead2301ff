package dev.tether.cli.policy;

import dev.tether.cli.UserError;
import dev.tether.learn.EventSelection;
import dev.tether.learn.LearningJson;
import dev.tether.learn.RecordedEvents;
import dev.tether.learn.RecordedEventsException;
import dev.tether.learn.replay.Baseline;
import dev.tether.learn.replay.PolicyReplayer;
import dev.tether.learn.replay.ReplayChange;
import dev.tether.learn.replay.ReplayReport;
import dev.tether.learn.suggest.Evidence;
import dev.tether.policy.Finding;
import dev.tether.policy.LoadResult;
import dev.tether.policy.PolicyLoader;
import dev.tether.policy.PolicySnapshot;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code tether policy replay CANDIDATE}: what a policy would change on recorded decisions; a CI gate. */
@Command(
        name = "replay",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = {"Re-decide every recorded decision with a candidate policy (same principal as recorded) and",
            "show what changes: newly denied, newly allowed, unchanged, each change with the rule responsible.",
            "Reference: docs/policy-learning.md.",
            "Exit status: 0 nothing newly denied, 1 something newly denied, 2 bad input or a policy that does not load."})
public final class PolicyReplayCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "CANDIDATE", description = "The candidate Cedar policy file.")
    Path candidate;

    @Mixin RecordingOptions recording;

    @Option(names = "--against", paramLabel = "FILE",
            description = "Compare with this policy's decisions instead of the recorded ones (e.g. the policy in force).")
    Path against;

    @Option(names = "--principals", paramLabel = "FILE", description = "Principals file (TOML) with team memberships, for both policies.")
    Path principals;

    @Option(names = "--max-changes", paramLabel = "N", defaultValue = "200",
            description = "List at most N changed requests (all are counted; default: ${DEFAULT-VALUE}).")
    int maxChanges;

    @Option(names = "--json", description = "Print the report as JSON.")
    boolean json;

    @Override
    public Integer call() {
        if (maxChanges < 0) {
            throw new UserError("--max-changes must be 0 or more");
        }
        PolicySnapshot cand = load(candidate, "the candidate");
        Baseline baseline = against == null ? Baseline.recorded() : new Baseline.Policy(load(against, "--against"));
        ReplayReport r;
        RecordedEvents recorded = recording.open();
        try {
            EventSelection sel = recording.selection(recorded);
            r = new PolicyReplayer(recording.projectAliases()).replay(recorded, sel, cand, baseline, maxChanges);
        } catch (RecordedEventsException e) {
            throw new UserError(e.getMessage());
        } finally {
            PolicySuggestCommand.closeQuietly(recorded);
        }
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.println(Json.write(LearningJson.replay(Json.MAPPER, r)));
        } else {
            print(out, r, recorded.describe());
        }
        if (r.newlyDenied() > 0) {
            spec.commandLine().getErr().println("tether: " + r.newlyDenied() + " recorded decisions would be newly denied by "
                    + candidate);
            return 1;
        }
        return 0;
    }

    private PolicySnapshot load(Path file, String what) {
        LoadResult lr = PolicyLoader.load(file, principals);
        if (lr instanceof LoadResult.Rejected rej) {
            for (Finding f : rej.errors()) {
                spec.commandLine().getErr().println(f.render());
            }
            throw new UserError(what + " " + file + " does not load (tether policy check " + file + ")");
        }
        return ((LoadResult.Loaded) lr).snapshot();
    }

    private void print(PrintWriter out, ReplayReport r, String source) {
        out.println("Replayed " + r.decisions() + " recorded decisions from " + r.sessions().size()
                + (r.sessions().size() == 1 ? " session" : " sessions") + " (" + source + ")");
        out.println("with " + r.candidate() + ", against " + (r.baseline().equals("recorded") ? "the recorded decisions"
                : "the decisions of " + r.baseline()) + ":");
        out.printf("  unchanged       %9d  (%d allowed, %d denied)%n", r.unchanged(), r.unchangedAllowed(), r.unchangedDenied());
        out.printf("  newly denied    %9d%n", r.newlyDenied());
        out.printf("  newly allowed   %9d%n", r.newlyAllowed());
        long notReplayable = r.notReplayable().values().stream().mapToLong(Long::longValue).sum();
        if (notReplayable > 0) {
            out.printf("  not replayable  %9d%n", notReplayable);
            for (Map.Entry<String, Long> e : r.notReplayable().entrySet()) {
                out.printf("      %s: %d%n", e.getKey(), e.getValue());
            }
        }
        for (ReplayChange.Direction dir : ReplayChange.Direction.values()) {
            List<ReplayChange> changes = r.changes().stream().filter(c -> c.direction() == dir).toList();
            if (changes.isEmpty()) {
                continue;
            }
            long events = changes.stream().mapToLong(ReplayChange::count).sum();
            out.println();
            out.println(Character.toUpperCase(dir.words().charAt(0)) + dir.words().substring(1) + " (" + changes.size()
                    + (changes.size() == 1 ? " request, " : " requests, ") + events + (events == 1 ? " event" : " events")
                    + (r.complete() ? "" : ", of those listed") + "):");
            for (ReplayChange c : changes) {
                out.println("  " + c.action() + " " + visible(c.resource()) + "  ×" + c.count() + "  Agent::\"" + c.agent() + "\""
                        + "  " + sessions(c.sessions()) + "  " + Evidence.time(c.firstNs())
                        + (c.firstNs() == c.lastNs() ? "" : " .. " + Evidence.time(c.lastNs())));
                String was = r.baseline().equals("recorded") ? "was " + c.recorded().jsonName()
                        : "was " + (dir == ReplayChange.Direction.NEWLY_DENIED ? "allowed" : "denied") + " by " + r.baseline();
                out.println("      " + was + (c.baselineReason() == null ? "" : ": " + visible(c.baselineReason())));
                out.println("      now " + (dir == ReplayChange.Direction.NEWLY_DENIED ? "denied" : "allowed") + ": "
                        + c.responsible());
            }
        }
        if (!r.complete()) {
            out.println();
            out.println("(" + (r.changeGroups() - r.changes().size()) + " more changed requests not listed; --max-changes N"
                    + " or --json to see more)");
        }
    }

    private static String sessions(List<String> s) {
        return s.size() <= 2 ? String.join(",", s) : s.getFirst() + " +" + (s.size() - 1) + " sessions";
    }

    /** Recorded text with control characters shown escaped, so a path cannot drive the terminal. */
    private static String visible(String s) {
        return dev.tether.learn.CedarText.comment(s);
    }
}
