package dev.tether.learn.replay;

import java.util.List;
import java.util.SortedMap;

/**
 * What a candidate policy changes on recorded decisions.
 *
 * @param candidate where the candidate came from (its file)
 * @param baseline "recorded", or where the baseline policy came from
 * @param sessions the sessions whose decisions were replayed
 * @param decisions recorded decisions replayed
 * @param unchangedAllowed allowed before and by the candidate
 * @param unchangedDenied denied before and by the candidate
 * @param newlyDenied events the candidate denies that were allowed
 * @param newlyAllowed events the candidate allows that were denied
 * @param changes the changed requests, newly denied first; at most the limit asked for
 * @param changeGroups how many distinct changed requests there are in all
 * @param notReplayable recorded decisions that could not be asked again, by reason
 * @param elapsedNanos how long the replay took
 */
public record ReplayReport(String candidate, String baseline, List<String> sessions, long decisions,
        long unchangedAllowed, long unchangedDenied, long newlyDenied, long newlyAllowed, List<ReplayChange> changes,
        int changeGroups, SortedMap<String, Long> notReplayable, long elapsedNanos) {
    public ReplayReport {
        sessions = List.copyOf(sessions);
        changes = List.copyOf(changes);
        notReplayable = java.util.Collections.unmodifiableSortedMap(new java.util.TreeMap<>(notReplayable));
    }

    public long unchanged() {
        return unchangedAllowed + unchangedDenied;
    }

    /** Whether {@link #changes} holds every changed request. */
    public boolean complete() {
        return changes.size() == changeGroups;
    }
}
