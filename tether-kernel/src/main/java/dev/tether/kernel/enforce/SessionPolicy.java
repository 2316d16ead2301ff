package dev.tether.kernel.enforce;

import dev.tether.policy.Mode;
import dev.tether.policy.PolicySnapshot;
import dev.tether.policy.Principal;
import java.util.Objects;

/**
 * What the enforcing layers apply to one sandbox at one moment: the compiled policy, whose
 * rights (principal), how strictly (mode), and the project's forbidden inodes found under that
 * policy. Swapped as one value, so a decision never mixes an old policy with a new mode or scan.
 */
public record SessionPolicy(PolicySnapshot snapshot, Principal principal, Mode mode, ForbiddenInodes forbidden) {
    public SessionPolicy {
        Objects.requireNonNull(snapshot, "snapshot");
        Objects.requireNonNull(principal, "principal");
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(forbidden, "forbidden");
    }

    public SessionPolicy(PolicySnapshot snapshot, Principal principal, Mode mode) {
        this(snapshot, principal, mode, ForbiddenInodes.none());
    }

    /** A new snapshot with the inode scan made under it (never a new snapshot with an old scan). */
    public SessionPolicy withSnapshot(PolicySnapshot next, ForbiddenInodes scannedUnderNext) {
        return new SessionPolicy(next, principal, mode, scannedUnderNext);
    }

    public SessionPolicy withMode(Mode next) {
        return new SessionPolicy(snapshot, principal, next, forbidden);
    }
}
