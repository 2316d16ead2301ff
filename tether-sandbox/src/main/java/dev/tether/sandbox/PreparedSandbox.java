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
    private SandboxProcess process;
    private PortPublisher publisher;

    private PreparedSandbox(SandboxPlan plan, SandboxEngine engine, SandboxNetwork network) {
        this.plan = plan;
        this.engine = engine;
        this.network = network;
    }

    /** Creates the sandbox's network namespace (when the plan wants one). */
    public static PreparedSandbox prepare(SandboxPlan plan, SandboxEngine engine) {
        SandboxNetwork net = null;
        if (plan.network()) {
            net = SandboxNetwork.create(plan.sessionId(), plan.hostname());
            try {
                if (plan.dnsUpstream() != null) {
                    net.forwardDnsUpstream(plan.dnsUpstream());
                }
            } catch (RuntimeException e) {
                net.close();
                throw e;
            }
        }
        return new PreparedSandbox(plan, engine, net);
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
        SessionFiles.delete(plan.sessionId());
    }
}
