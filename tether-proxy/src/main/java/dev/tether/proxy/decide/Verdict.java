package dev.tether.proxy.decide;

import java.util.List;
import java.util.Objects;

/**
 * The proxy's view of a policy decision: allowed or not, the ids of the policies that determined
 * it, and a reason in words (shown in 403 bodies and JSON-RPC errors, so it never holds secrets).
 * {@code shadowDenied}: the policy denies, but the session runs in shadow or permissive mode, so
 * the request is let through and recorded as "would deny".
 */
public record Verdict(boolean allowed, List<String> policyIds, String reason, boolean shadowDenied) {
    public Verdict {
        policyIds = List.copyOf(policyIds);
        Objects.requireNonNull(reason, "reason");
        if (shadowDenied && !allowed) throw new IllegalArgumentException("a shadow denial is let through");
    }

    public Verdict(boolean allowed, List<String> policyIds, String reason) {
        this(allowed, policyIds, reason, false);
    }

    public static Verdict allow(String reason, String... policyIds) {
        return new Verdict(true, List.of(policyIds), reason);
    }

    public static Verdict deny(String reason, String... policyIds) {
        return new Verdict(false, List.of(policyIds), reason);
    }
}
