package dev.tether.sandbox;

import dev.tether.sandbox.net.PortPublisher;
import dev.tether.sandbox.net.SandboxNetwork;
import java.util.Optional;

/**
 * A sandbox between preparation and exit: its network namespace exists (so enforcement can
 * install its redirects and guards) before {@link #start} runs the first process. {@link #close}
 * removes everything the sandbox had on the host, in reverse order.
 */
public final class PreparedSandbox implements AutoCloseable {
    private final SandboxPlan plan;
    private final SandboxEngine engine;
    private final SandboxNetwork network;
    private final SandboxEngine.NetworkHolder networkHolder;
    private SandboxProcess process;
    private PortPublisher publisher;

    private PreparedSandbox(SandboxPlan plan, SandboxEngine engine, SandboxNetwork network,
                            SandboxEngine.NetworkHolder networkHolder) {
        this.plan = plan;
        this.engine = engine;
        this.network = network;
        this.networkHolder = networkHolder;
    }

    /**
     * Creates the sandbox's network namespace (when the plan wants one): tether's own, or, for an
     * engine that cannot join a namespace file, the one the engine's holder owns, configured the same way.
     */
    public static PreparedSandbox prepare(SandboxPlan plan, SandboxEngine engine) {
        if (!plan.network()) {
            return new PreparedSandbox(plan, engine, null, null);
        }
        SandboxEngine.NetworkHolder holder = engine.holdNetwork(plan).orElse(null);
        SandboxNetwork net = null;
        try {
            net = holder == null ? SandboxNetwork.create(plan.sessionId(), plan.hostname(), plan.dnsUpstream())
                    : SandboxNetwork.adopt(plan.sessionId(), plan.hostname(), holder.namespace(), plan.dnsUpstream());
        } catch (RuntimeException e) {
            if (net != null) {
                net.close();
            }
            if (holder != null) {
                holder.close();
            }
            throw e;
        }
        return new PreparedSandbox(plan, engine, net, holder);
    }

    public SandboxPlan plan() {
        return plan;
    }

    public SandboxEngine engine() {
        return engine;
    }

    /** The sandbox's network, for the enforcing layers' hooks; empty for a sandbox without network. */
    public Optional<SandboxNetwork> network() {
        return Optional.ofNullable(network);
    }

    /**
     * Runs the command; its first process is in {@code cgroup} before the command's first
     * instruction, and {@code beforeCommand} has run with that process's pid.
     */
    public SandboxProcess start(SandboxSpec.SessionCgroupPlacement cgroup, SandboxEngine.StartHook beforeCommand) {
        if (process != null) {
            throw new IllegalStateException("already started");
        }
        SandboxSpec spec = new SandboxSpec(plan.sessionId(), plan.command(), plan.projectDir(), plan.workdir(), plan.env(),
                cgroup, plan.hostname(), plan.root(), plan.mounts(), network == null ? null : network.attachment(),
                plan.tty(), plan.caCertificate(), plan.limits());
        process = engine.launch(spec, beforeCommand);
        if (!plan.publish().isEmpty()) {
            try {
                publisher = PortPublisher.start(plan.publish(), network.sandboxAddress4());
            } catch (RuntimeException e) {
                process.terminate();
                throw e;
            }
        }
        return process;
    }

    @Override
    public void close() {
        if (publisher != null) {
            publisher.close();
        }
        if (process != null) {
            process.close();
        }
        if (network != null) {
            network.close();
        }
        if (networkHolder != null) {
            networkHolder.close();
        }
        SessionFiles.delete(plan.sessionId());
    }
}
