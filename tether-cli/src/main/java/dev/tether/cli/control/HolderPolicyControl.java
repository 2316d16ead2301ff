package dev.tether.cli.control;

import dev.tether.policy.Decision;
import dev.tether.policy.Finding;
import dev.tether.policy.HeaderRewrite;
import dev.tether.policy.LoadResult;
import dev.tether.policy.PolicyHolder;
import dev.tether.policy.PolicyFileWriter;
import dev.tether.policy.PolicyLoader;
import dev.tether.policy.PolicyRef;
import dev.tether.policy.PolicySnapshot;
import dev.tether.policy.Principal;
import dev.tether.policy.Severity;
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
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The control plane's policy over the policy module's {@link PolicyHolder}: the same holder the
 * session's enforcement listens to, so a save in the editor is a hot reload of every layer (and,
 * as the holder does, an atomic write of the policy file: the file stays the policy's source).
 *
 * <p>"In force" is what the enforcing layers apply ({@code inForce}), not merely what the holder
 * loaded: if the session's enforcement refuses a loaded policy (network rules the kernel cannot
 * hold), the change is reported as rejected and the view keeps showing the policy still in force.
 */
final class HolderPolicyControl implements PolicyControl, AutoCloseable {
    private record Loaded(long generation, Instant at) {}

    private final PolicyHolder holder;
    private final Supplier<PolicySnapshot> inForce;
    private final Principal askingAs;
    private final AtomicReference<Loaded> loaded;
    private final List<Consumer<PolicyHolder.Reload>> registered = new CopyOnWriteArrayList<>();

    /**
     * @param inForce  the snapshot the enforcing layers apply now ({@code holder::current} when nothing enforces)
     * @param askingAs who "ask the policy" decides for when the request names no agent or session
     */
    HolderPolicyControl(PolicyHolder holder, Supplier<PolicySnapshot> inForce, Principal askingAs) {
        this.holder = holder;
        this.inForce = inForce;
        this.askingAs = askingAs;
        this.loaded = new AtomicReference<>(new Loaded(inForce.get().generation(), Instant.now()));
        listen(r -> {
            if (r instanceof PolicyHolder.Applied a) {
                loaded.set(new Loaded(a.current().generation(), Instant.now()));
            }
        });
    }

    private void listen(Consumer<PolicyHolder.Reload> l) {
        registered.add(l);
        holder.addListener(l);
    }

    private PolicyView view(PolicySnapshot s) {
        Loaded l = loaded.get();
        Instant at = l.generation() == s.generation() ? l.at() : Instant.now();
        return new PolicyView(s.sourceText(), s.generation(), s.sourceName(), at);
    }

    @Override
    public PolicyView current() {
        return view(inForce.get());
    }

    private String sourceName() {
        return holder.policyFile() != null ? holder.policyFile().toString() : inForce.get().sourceName();
    }

    @Override
    public List<LintFinding> validate(String text) {
        LoadResult r = PolicyLoader.parse(text, sourceName());
        return r.findings().stream().map(HolderPolicyControl::lint).toList();
    }

    static LintFinding lint(Finding f) {
        return new LintFinding(f.code(), f.severity() == Severity.ERROR ? LintFinding.Severity.ERROR
                : LintFinding.Severity.WARNING, f.file(), f.line(), f.column(), f.lineText(), f.message(),
                f.suggestion() == null || f.suggestion().isEmpty() ? null : f.suggestion());
    }

    @Override
    public PolicyChange replace(String text) {
        PolicyHolder.Reload r = holder.replace(text);
        return switch (r) {
            case PolicyHolder.Kept k -> new PolicyChange.Rejected(k.errors().stream()
                    .filter(f -> f.severity() == Severity.ERROR).map(HolderPolicyControl::lint).toList());
            case PolicyHolder.Applied a -> {
                PolicySnapshot now = inForce.get();
                if (now.generation() != a.current().generation()) {
                    yield new PolicyChange.Rejected(List.of(new LintFinding("not_enforceable", LintFinding.Severity.ERROR,
                            sourceName(), 1, 1, "", "the policy loads, but the session's enforcement could not apply it"
                            + " (the reason is on tether's terminal); generation " + now.generation() + " stays in force"
                            + " in every layer, while the policy file now holds the refused text",
                            "fix the text so it can be enforced (e.g. fewer network rules on one prefix) and save again")));
                }
                yield new PolicyChange.Applied(view(now), a.warnings().stream().map(HolderPolicyControl::lint).toList());
            }
        };
    }

    @Override
    public DecisionView decide(DecisionQuery q) {
        PolicySnapshot snap = inForce.get();
        String agent = q.agent() == null || q.agent().isBlank() ? askingAs.agent() : q.agent();
        String session = q.session() == null || q.session().isBlank() ? askingAs.session() : q.session();
        Principal p = new Principal(agent, session);
        DecisionRequests.Asked asked = DecisionRequests.of(p, q);
        return switch (asked) {
            case DecisionRequests.Asked.Decide d -> {
                Decision decision = snap.decide(d.request());
                yield new DecisionView(decision.allowed(), decision.determining().stream().map(PolicyRef::toString).toList(),
                        decision.reason(), snap.generation());
            }
            case DecisionRequests.Asked.Rewrites rw -> {
                List<HeaderRewrite> headers = snap.headerRewrites(p, rw.host(), rw.port());
                String reason = headers.isEmpty() ? "no HttpRewrite statement sets a header for " + rw.host() + ":" + rw.port()
                        : "sets " + String.join(", ", headers.stream().map(HeaderRewrite::header).toList()) + " on requests to "
                        + rw.host() + ":" + rw.port();
                yield new DecisionView(!headers.isEmpty(), headers.stream().map(h -> h.source().toString()).toList(),
                        reason, snap.generation());
            }
        };
    }

    @Override
    public Optional<Path> policyFile() {
        return Optional.ofNullable(holder.policyFile());
    }

    @Override
    public void persist(String text) throws IOException {
        Path file = holder.policyFile();
        if (file == null) {
            throw new IOException("no policy file: this policy lives in memory only");
        }
        PolicyFileWriter.replace(file, text);
    }

    @Override
    public AutoCloseable onChange(Consumer<PolicyView> listener) {
        Consumer<PolicyHolder.Reload> l = r -> {
            // Listeners run in registration order, the session's enforcement first: by now it has
            // applied the new snapshot, or kept the old one (then nothing changed in force).
            if (r instanceof PolicyHolder.Applied a && inForce.get().generation() == a.current().generation()) {
                listener.accept(view(a.current()));
            }
        };
        listen(l);
        return () -> {
            holder.removeListener(l);
            registered.remove(l);
        };
    }

    @Override
    public void close() {
        for (Consumer<PolicyHolder.Reload> l : registered) {
            holder.removeListener(l);
        }
        registered.clear();
    }
}
