package dev.tether.events;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * The policy family: a reload that took effect, or one that was rejected (the previous policy
 * stays). The event's {@code resource} is the policy file.
 *
 * @param generation the snapshot generation now in force
 * @param policies number of policies in the loaded set, null for a rejection
 * @param errors located findings, e.g. {@code policy.cedar:12:1: unknown action "FileRead"}
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record PolicyDetail(long generation, Integer policies, List<String> errors) implements EventDetail {
    public PolicyDetail {
        errors = errors == null ? List.of() : List.copyOf(errors);
    }

    @Override
    public PolicyDetail withinLimits() {
        EventLimits.CutList e = EventLimits.cutList(errors, 8 * EventLimits.MAX_TEXT_BYTES, EventLimits.MAX_LIST_ENTRIES);
        return e.truncated() ? new PolicyDetail(generation, policies, e.items()) : this;
    }
}
