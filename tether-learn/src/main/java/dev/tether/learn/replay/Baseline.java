package dev.tether.learn.replay;

import dev.tether.policy.PolicySnapshot;

/** What a candidate policy's decisions are compared with. */
public sealed interface Baseline {
    /**
     * The decisions as recorded: {@code allow} is allowed; {@code deny} and {@code would-deny}
     * (shadow or permissive mode let it through, but the policy in force denied it) are denied.
     */
    record Recorded() implements Baseline {}

    /** Another policy's decisions on the same requests (the policy in force, before an edit is saved). */
    record Policy(PolicySnapshot snapshot) implements Baseline {}

    static Baseline recorded() {
        return new Recorded();
    }
}
