package dev.tether.learn.replay;

import dev.tether.events.Verdict;
import dev.tether.policy.PolicyRef;
import java.util.List;

/**
 * Recorded decisions the candidate decides the other way, folded by request (the same agent asking
 * the same thing): how often, when, and the rule responsible.
 *
 * @param resource the request as recorded: path, {@code path args} for a program, {@code host:port/tcp},
 *     {@code server/tool}
 * @param eventIds ids of the events (store row ids, or file/line ids), the first few
 * @param recorded the verdict recorded for the first of them
 * @param baselineReason why the baseline decided as it did (the recorded reason, or the baseline
 *     policy's explanation)
 * @param rules the candidate's statements that decided it: the forbids that deny it or the permits
 *     that allow it; empty when nothing matched (Cedar's default deny)
 * @param reason the candidate's decision in words, with file:line:column
 */
public record ReplayChange(Direction direction, String agent, String action, String resource, long count,
        List<String> sessions, long firstNs, long lastNs, List<Long> eventIds, Verdict recorded, String baselineReason,
        List<PolicyRef> rules, String reason) {
    public ReplayChange {
        sessions = List.copyOf(sessions);
        eventIds = List.copyOf(eventIds);
        rules = List.copyOf(rules);
    }

    public enum Direction {
        NEWLY_DENIED("newly denied"),
        NEWLY_ALLOWED("newly allowed");

        private final String words;

        Direction(String words) {
            this.words = words;
        }

        public String words() {
            return words;
        }
    }

    /** The rule responsible in words: the statements with their location, or Cedar's default deny. */
    public String responsible() {
        if (rules.isEmpty()) {
            return "no permit matches (default deny)";
        }
        return String.join(", ", rules.stream().map(r -> (direction == Direction.NEWLY_DENIED ? "forbid " : "permit ")
                + r.id() + " at " + r.location()).toList());
    }
}
