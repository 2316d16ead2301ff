package dev.tether.kernel.enforce;

import dev.tether.policy.Mode;
import dev.tether.policy.PolicySnapshot;
import dev.tether.policy.Principal;
import java.util.Objects;

/**
 * What the enforcing layers apply to one sandbox at one moment: the compiled policy, whose
 * rights (principal) and how strictly (mode). Swapped as one value, so a decision never mixes an
 * old policy with a new mode.
 */
public record SessionPolicy(PolicySnapshot snapshot, Principal principal, Mode mode) {
    public SessionPolicy {
        Objects.requireNonNull(snapshot, "snapshot");
        Objects.requireNonNull(principal, "principal");
        Objects.requireNonNull(mode, "mode");
    }

    public SessionPolicy withSnapshot(PolicySnapshot next) {
        return new SessionPolicy(next, principal, mode);
    }

    public SessionPolicy withMode(Mode next) {
        return new SessionPolicy(snapshot, principal, next);
    }
}
