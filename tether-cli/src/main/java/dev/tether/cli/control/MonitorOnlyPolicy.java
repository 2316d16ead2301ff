package dev.tether.cli.control;

import dev.tether.policy.PolicyLoader;
import dev.tether.server.spi.DecisionQuery;
import dev.tether.server.spi.DecisionView;
import dev.tether.server.spi.LintFinding;
import dev.tether.server.spi.PolicyChange;
import dev.tether.server.spi.PolicyControl;
import dev.tether.server.spi.PolicyView;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The control plane's policy for a session started with {@code --monitor-only}: there is none, and
 * the control plane says so instead of pretending. The editor still lints (useful for writing the
 * policy the next session will use); applying, deciding and persisting are refused with the reason.
 */
final class MonitorOnlyPolicy implements PolicyControl {
    static final String SOURCE = "none (--monitor-only: nothing is enforced)";
    private static final String WHY = "this session was started with --monitor-only: it enforces no policy;"
            + " start the session with --policy FILE to edit the policy it enforces";

    private final PolicyView view = new PolicyView("", 0, SOURCE, Instant.now());

    @Override
    public PolicyView current() {
        return view;
    }

    @Override
    public List<LintFinding> validate(String text) {
        return PolicyLoader.parse(text, "policy.cedar").findings().stream().map(HolderPolicyControl::lint).toList();
    }

    @Override
    public PolicyChange replace(String text) {
        return new PolicyChange.Rejected(List.of(new LintFinding("monitor_only", LintFinding.Severity.ERROR, SOURCE, 1, 1,
                "", WHY, null)));
    }

    @Override
    public DecisionView decide(DecisionQuery query) {
        throw new IllegalArgumentException(WHY);
    }

    @Override
    public Optional<Path> policyFile() {
        return Optional.empty();
    }

    @Override
    public void persist(String text) throws IOException {
        throw new IOException(WHY);
    }

    @Override
    public AutoCloseable onChange(Consumer<PolicyView> listener) {
        return () -> { };
    }
}
