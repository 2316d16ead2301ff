package dev.tether.cli.session;

import dev.tether.cli.UserError;
import dev.tether.events.Event;
import dev.tether.kernel.enforce.FanotifyGate;
import dev.tether.kernel.enforce.FileAccessJudge;
import dev.tether.kernel.enforce.PathAliases;
import dev.tether.kernel.enforce.ProtectedFiles;
import dev.tether.kernel.enforce.SessionPolicy;
import dev.tether.kernel.ffm.LibC;
import dev.tether.kernel.ffm.NativeCallException;
import dev.tether.policy.Finding;
import dev.tether.policy.Mode;
import dev.tether.policy.PolicyHolder;
import dev.tether.policy.PolicyRejectedException;
import dev.tether.policy.Principal;
import dev.tether.sandbox.SandboxEngine;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * The policy of one session and the layers that enforce it: the live snapshot (hot-reloaded from
 * the file), the principal and mode, and the fanotify gate on the sandbox's mounts. One
 * {@link SessionPolicy} reference is what every layer reads, so a reload switches them together.
 */
public final class SessionEnforcement implements AutoCloseable {
    private final PolicyHolder holder;
    private final AtomicReference<SessionPolicy> policy;
    private final FanotifyGate gate;
    private final PrintWriter err;

    private SessionEnforcement(PolicyHolder holder, AtomicReference<SessionPolicy> policy, FanotifyGate gate, PrintWriter err) {
        this.holder = holder;
        this.policy = policy;
        this.gate = gate;
        this.err = err;
    }

    /**
     * Loads the policy (a bad one refuses to start, pointing at file:line:col) and creates the
     * gate; {@link #beforeCommand} then attaches it to the sandbox.
     */
    public static SessionEnforcement start(LibC libc, Path policyFile, Principal principal, Mode mode,
                                           String sessionId, String sessionCgroup, Path projectDir,
                                           Consumer<Event> sink, PrintWriter err) {
        PolicyHolder holder;
        try {
            holder = PolicyHolder.open(policyFile, null);
        } catch (PolicyRejectedException e) {
            throw new UserError("the policy " + policyFile + " has errors, so nothing was started:\n" + render(e.errors()), 2);
        }
        AtomicReference<SessionPolicy> policy = new AtomicReference<>(new SessionPolicy(holder.current(), principal, mode));
        ProtectedFiles protectedFiles = new ProtectedFiles().protectFromWrites(policyFile);
        FileAccessJudge judge = new FileAccessJudge(PathAliases.project(projectDir.toString()), protectedFiles);
        FanotifyGate gate;
        try {
            gate = new FanotifyGate(libc, sessionId, sessionCgroup, judge, policy::get, sink);
        } catch (NativeCallException e) {
            holder.close();
            throw new UserError("file and exec enforcement needs fanotify permission events, which this kernel refused ("
                    + e.getMessage() + "); 'tether doctor' shows what works here", SandboxSession.EXIT_TETHER_ERROR);
        }
        SessionEnforcement enforcement = new SessionEnforcement(holder, policy, gate, err);
        holder.addListener(enforcement::onReload);
        try {
            holder.watch();
        } catch (IOException e) {
            err.println("tether: cannot watch " + policyFile + " for changes (" + e.getMessage() + "); reload disabled");
        }
        return enforcement;
    }

    /** The start hook: watch the sandbox's mounts, then start answering. */
    public SandboxEngine.StartHook beforeCommand() {
        return sandboxPid -> {
            gate.markSandboxMounts(sandboxPid);
            gate.start();
        };
    }

    public SessionPolicy current() {
        return policy.get();
    }

    private void onReload(PolicyHolder.Reload reload) {
        switch (reload) {
            case PolicyHolder.Applied applied -> {
                policy.updateAndGet(p -> p.withSnapshot(applied.current()));
                gate.policyChanged();
                err.println("tether: policy reloaded (generation " + applied.current().generation() + ")");
            }
            case PolicyHolder.Kept kept -> err.println("tether: the edited policy has errors; the previous one stays in force:\n"
                    + render(kept.errors()));
        }
    }

    public FanotifyGate.Stats gateStats() {
        return gate.stats();
    }

    static String render(List<Finding> findings) {
        StringBuilder b = new StringBuilder();
        for (Finding f : findings) {
            b.append(f.render()).append('\n');
        }
        return b.toString().stripTrailing();
    }

    @Override
    public void close() {
        gate.close();
        holder.close();
    }
}
