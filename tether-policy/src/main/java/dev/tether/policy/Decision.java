package dev.tether.policy;

import java.util.List;

/**
 * The outcome of one request. {@code determining} lists every statement that decided it: all
 * matching forbids on a deny, all matching permits on an allow, nothing on a default deny
 * (exactly Cedar's "reason" set). {@code reason} explains it in words, e.g.
 * {@code denied: forbid policy3 at policy.cedar:12:1 matched /workspace/.env}.
 */
public record Decision(boolean allowed, List<PolicyRef> determining, String reason) {
    public Decision {
        determining = List.copyOf(determining);
    }
}
