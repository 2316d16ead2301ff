package dev.tether.events;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * {@link EventKind#ENFORCEMENT_GAP}: the policy asks for something a layer cannot enforce on this
 * host or in this session (reported loudly, never faked).
 *
 * @param mechanism the missing or failed mechanism, e.g. {@code bpf-lsm}
 * @param action the Cedar action affected, e.g. {@code FileOpen}, or null for all
 * @param reason what is missing and what covers it instead, if anything
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record GapDetail(String mechanism, String action, String reason) implements EventDetail {
    @Override
    public GapDetail withinLimits() {
        EventLimits.Cut r = EventLimits.cutText(reason);
        return r.truncated() ? new GapDetail(mechanism, action, r.text()) : this;
    }
}
