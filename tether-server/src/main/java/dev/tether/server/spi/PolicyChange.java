package dev.tether.server.spi;

import java.util.List;

/** Outcome of replacing the policy text: applied (hot-reloaded) or rejected with the reasons. */
public sealed interface PolicyChange {
    /** The new text is in force. {@code warnings} are non-blocking lint findings. */
    record Applied(PolicyView policy, List<LintFinding> warnings) implements PolicyChange {}

    /** Nothing changed: the previous policy stays in force. */
    record Rejected(List<LintFinding> errors) implements PolicyChange {}
}
