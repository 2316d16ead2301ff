package dev.tether.learn.suggest;

import dev.tether.learn.RecordedSession;
import dev.tether.policy.Finding;
import java.util.List;
import java.util.SortedMap;

/**
 * A suggested policy: its text (valid Cedar that {@code tether policy check} accepts) and the same
 * content as data.
 *
 * @param cedar the policy text
 * @param statements its statements, in text order
 * @param notPermitted what the sessions were refused and the suggestion does not permit
 * @param sessions the sessions learned from
 * @param eventsRead events read from the recording
 * @param eventsUsed events that became evidence for a statement or a "not permitted" entry
 * @param unusable events that could not be used, by reason
 * @param warnings what {@code tether policy check} says about the text (no errors: a suggestion
 *     that did not load would be a bug, and is refused)
 */
public record Suggestion(String cedar, List<SuggestedStatement> statements, List<NotPermitted> notPermitted,
        List<RecordedSession> sessions, long eventsRead, long eventsUsed, SortedMap<String, Long> unusable,
        List<Finding> warnings) {
    public Suggestion {
        statements = List.copyOf(statements);
        notPermitted = List.copyOf(notPermitted);
        sessions = List.copyOf(sessions);
        unusable = java.util.Collections.unmodifiableSortedMap(new java.util.TreeMap<>(unusable));
        warnings = List.copyOf(warnings);
    }
}
