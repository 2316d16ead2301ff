package dev.tether.learn;

import dev.tether.learn.replay.Baseline;
import dev.tether.learn.replay.PolicyReplayer;
import dev.tether.learn.replay.ReplayReport;
import dev.tether.learn.suggest.PolicySuggester;
import dev.tether.learn.suggest.SuggestOptions;
import dev.tether.learn.suggest.Suggestion;
import dev.tether.policy.LoadResult;
import dev.tether.policy.PolicyLoader;
import dev.tether.policy.PolicySnapshot;
import dev.tether.policy.principals.PrincipalDirectory;
import java.util.List;
import java.util.Objects;

/**
 * Learning over one recording: suggestions and replays with the same project, options and team
 * memberships. What the control plane is given to serve {@code /api/suggestions} and the editor's
 * "what would change"; the CLI uses the same pieces.
 *
 * @param recorded the recorded events
 * @param options the project (both of its names) and how far suggestions may generalise
 * @param principals the team memberships policies are compiled with (those of the daemon's principals file)
 */
public record PolicyLearning(RecordedEvents recorded, SuggestOptions options, PrincipalDirectory principals) {
    public PolicyLearning {
        Objects.requireNonNull(recorded, "recorded");
        Objects.requireNonNull(options, "options");
        principals = principals == null ? PrincipalDirectory.EMPTY : principals;
    }

    public PolicyLearning(RecordedEvents recorded, SuggestOptions options) {
        this(recorded, options, PrincipalDirectory.EMPTY);
    }

    public List<RecordedSession> sessions() {
        return recorded.sessions();
    }

    public Suggestion suggest(EventSelection selection) {
        return new PolicySuggester(options).suggest(recorded, selection);
    }

    /** Compiles policy text the way replay needs it (with these team memberships). */
    public LoadResult compile(String text, String sourceName) {
        return PolicyLoader.parse(text, sourceName, principals);
    }

    public ReplayReport replay(PolicySnapshot candidate, Baseline baseline, EventSelection selection, int maxChanges) {
        return new PolicyReplayer(options.project()).replay(recorded, selection, candidate, baseline, maxChanges);
    }
}
