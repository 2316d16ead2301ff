package dev.tether.cli.session;

import dev.tether.cli.UserError;
import dev.tether.cli.control.ControlPlaneSettings;
import dev.tether.cli.control.SessionControlPlane;
import dev.tether.kernel.bpf.SandboxMonitor;
import dev.tether.kernel.cgroup.Cgroup2Hierarchy;
import dev.tether.kernel.cgroup.KernelFilesystems;
import dev.tether.kernel.cgroup.MountTable;
import dev.tether.kernel.cgroup.SandboxCgroup;
import dev.tether.kernel.event.KernelEvent;
import dev.tether.kernel.event.KernelEventMapper;
import dev.tether.kernel.ffm.LibBpf;
import dev.tether.kernel.ffm.LibC;
import dev.tether.kernel.ffm.MissingNativeLibraryException;
import dev.tether.kernel.ffm.NativeCallException;
import dev.tether.events.Event;
import dev.tether.events.EventBus;
import dev.tether.events.EventKind;
import dev.tether.events.SessionDetail;
import dev.tether.policy.Mode;
import dev.tether.policy.Principal;
import dev.tether.proxy.ca.CertificateAuthority;
import dev.tether.sandbox.CommandNotFoundException;
import dev.tether.sandbox.PreparedSandbox;
import dev.tether.sandbox.RootFs;
import dev.tether.sandbox.SandboxEngine;
import dev.tether.sandbox.SandboxPlan;
import dev.tether.sandbox.SandboxProcess;
import dev.tether.sandbox.SandboxSpec;
import dev.tether.sandbox.net.NetworkSetupException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One governed run: sandbox cgroup, kernel monitors scoped to it, the sandboxed command, and
 * cleanup that leaves no cgroup, BPF link or process behind, whatever way the run ends.
 */
public final class SandboxSession {
    /** Exit status for tether's own failures (as container engines use 125). */
    public static final int EXIT_TETHER_ERROR = 125;
    public static final int EXIT_NOT_FOUND = 127;
    private static final int SLOT = 1;

    /**
     * @param eventsFile where to write one JSON line per event, or null
     * @param policyFile the Cedar policy to enforce, or null to only monitor
     */
    public record Options(List<String> command, Path projectDir, Path eventsFile, boolean quiet, Path policyFile, Mode mode,
                          boolean lock) {
        public Options(List<String> command, Path projectDir, Path eventsFile, boolean quiet) {
            this(command, projectDir, eventsFile, quiet, null, Mode.ENFORCE);
        }

        public Options(List<String> command, Path projectDir, Path eventsFile, boolean quiet, Path policyFile, Mode mode) {
            this(command, projectDir, eventsFile, quiet, policyFile, mode, false);
        }
    }

    /**
     * Called after the sandbox's network namespace and cgroup exist and before its first process
     * runs: where enforcement installs what must hold from the first instruction (nft redirects
     * via {@link PreparedSandbox#network()}, cgroup-BPF guards on {@code cgroup}), per principal.
     */
    public interface BeforeStart {
        void prepare(Principal principal, PreparedSandbox sandbox, SandboxCgroup cgroup);
    }

    private final Options options;
    private final SandboxEngine engine;
    private final PrintWriter err;
    private final String agentName;
    private final java.util.function.Function<String, SandboxPlan> plans;
    private BeforeStart beforeStart = (principal, sandbox, cgroup) -> { };
    private ControlPlaneSettings controlPlane = ControlPlaneSettings.DISABLED;
    private PreloadedKernelObjects preloaded = PreloadedKernelObjects.NONE;
    private volatile Principal principal;

    /** The walking skeleton's form: the command in the built-in sandbox with the host system, no network. */
    public SandboxSession(Options options, SandboxEngine engine, PrintWriter err) {
        this(options, engine, Path.of(options.command().getFirst()).getFileName().toString(), err, sessionId -> {
            Map<String, String> env = new LinkedHashMap<>();
            env.put("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
            env.put("HOME", "/root");
            env.put("TETHER_SESSION", sessionId);
            String lang = System.getenv("LANG");
            env.put("LANG", lang == null ? "C.UTF-8" : lang);
            Path project = options.projectDir().toAbsolutePath().normalize();
            return new SandboxPlan(sessionId, options.command(), project, project, env,
                    "tether-" + sessionId.substring(sessionId.length() - 6), new RootFs.HostSystem(), List.of(), List.of(),
                    false, null, false, null);
        });
    }

    /**
     * @param agentName the principal's agent ({@code Agent::"claude"}); for {@code tether run}, the command's name
     * @param plans the sandbox plan for a session id
     */
    public SandboxSession(Options options, SandboxEngine engine, String agentName, PrintWriter err,
                          java.util.function.Function<String, SandboxPlan> plans) {
        this.options = options;
        this.engine = engine;
        this.err = err;
        this.agentName = agentName;
        this.plans = plans;
    }

    /** Installs the enforcement hook (see {@link BeforeStart}). */
    public SandboxSession beforeStart(BeforeStart hook) {
        this.beforeStart = hook;
        return this;
    }

    /** Kernel objects a spare loaded ahead; the session takes what it uses. */
    public SandboxSession preloaded(PreloadedKernelObjects objects) {
        this.preloaded = objects;
        return this;
    }

    /** Serves the session's Control UI and API while it runs ({@link SessionControlPlane}). */
    public SandboxSession controlPlane(ControlPlaneSettings settings) {
        this.controlPlane = settings;
        return this;
    }

    /** Who this session is to the policy: {@code Agent::"<agent>"}, {@code Session::"<id>"}; null before {@link #run}. */
    public Principal principal() {
        return principal;
    }

    public int run() {
        PhaseTimings timings = PhaseTimings.fromEnvironment();
        try {
            return run(timings);
        } finally {
            timings.mark("teardown: sandbox, cgroup, monitor, enforcement, UI, audit store closed");
            timings.print(err);
        }
    }

    private int run(PhaseTimings timings) {
        timings.mark("launcher, JVM start, command line, config");
        HostAccess.requireRoot("tether run");
        String unavailable = engine.unavailableReason();
        if (unavailable != null) {
            throw new UserError("the " + engine.name() + " sandbox cannot run here: " + unavailable, EXIT_TETHER_ERROR);
        }
        LibC libc = LibC.load();
        LibBpf libbpf = loadLibBpf();
        try {
            KernelFilesystems.ensureMounted(libc);
        } catch (NativeCallException e) {
            throw new UserError("cannot mount bpffs/tracefs: " + e.getMessage(), EXIT_TETHER_ERROR);
        }
        Cgroup2Hierarchy cgroups = Cgroup2Hierarchy.find(MountTable.read()).orElseThrow(() -> new UserError(
                "no cgroup2 hierarchy is mounted (looked in /proc/self/mountinfo); tether needs cgroup v2 to scope its eBPF programs",
                EXIT_TETHER_ERROR));
        timings.mark("native libraries, bpffs/tracefs, cgroup2 found");

        String sessionId = new SessionIds().next(Instant.now());
        principal = new Principal(agentName, sessionId);
        err.println("tether: session " + sessionId + " (" + engine.name() + ", principal Agent::\"" + agentName + "\")");
        String cgroupPath = "/" + cgroups.mountPoint().relativize(cgroups.mountPoint().resolve(SandboxCgroup.PARENT).resolve(sessionId));
        // The slow, independent steps start first and overlap: the monitor's BPF objects, the
        // policy (compile, project scan, fanotify gate), the CA for the proxy. Their results are
        // joined before anything runs in the sandbox; a failing step fails the session, and the
        // scope closes what the other steps made (see ConcurrentSteps).
        // The session's lock is taken before anything of it exists: the sweep of what crashed
        // tethers left behind (sessions whose lock nobody holds) can then run beside the start.
        try (SessionLock lock = SessionLock.acquire(libc, SessionLock.DIR, sessionId);
             ConcurrentSteps starting = new ConcurrentSteps("tether-start-" + sessionId);
             EventBus bus = new EventBus();
             SessionEventOutput log = SessionEventOutput.attach(bus, sessionId, agentName, options.command(),
                     options.eventsFile(), options.quiet() ? null : err)) {
            var sweepStep = starting.fork(timings.timed("stale-session sweep",
                    () -> StaleSessionSweeper.sweep(libc, cgroups, SessionLock.DIR, sessionId)));
            var monitorStep = starting.fork(timings.timed("BPF monitor",
                    () -> startMonitor(preloaded, libbpf, libc, cgroups, log::accept)));
            var enforcementStep = options.policyFile() == null ? null : starting.fork(timings.timed("policy and gate",
                    () -> SessionEnforcement.start(libc, libbpf, options.policyFile(), principal, options.mode(), options.lock(),
                            sessionId, cgroupPath, options.projectDir(), bus::publish, err)));
            // The proxy's native libraries load now, beside the others, not when the proxy starts.
            var proxyLibraries = options.policyFile() == null ? null : starting.fork(timings.timed("proxy's native libraries", () -> {
                dev.tether.proxy.TetherProxy.loadNativeLibraries();
                return null;
            }));
            var caStep = options.policyFile() == null ? null : starting.fork(timings.timed("CA", () -> {
                try {
                    return SessionEnforcement.openCertificateAuthority();
                } catch (java.io.IOException e) {
                    throw new UserError("cannot start the session's proxy: " + e.getMessage(), EXIT_TETHER_ERROR);
                }
            }));
            return run(timings, starting, bus, log, sweepStep, monitorStep, enforcementStep, caStep, sessionId, cgroups,
                    cgroupPath);
        }
    }

    private int run(PhaseTimings timings, ConcurrentSteps starting, EventBus bus, SessionEventOutput log,
                    ConcurrentSteps.Task<List<String>> sweepStep, ConcurrentSteps.Task<SandboxMonitor> monitorStep,
                    ConcurrentSteps.Task<SessionEnforcement> enforcementStep,
                    ConcurrentSteps.Task<CertificateAuthority> caStep, String sessionId, Cgroup2Hierarchy cgroups,
                    String cgroupPath) {
        // Once the ring's loss is on the bus the store counts it: the control plane stops adding it.
        AtomicBoolean ringLossRecorded = new AtomicBoolean();
        try (CrashWatchdog watchdog = CrashWatchdog.start();
             SessionRecord record = SessionRecord.open(bus, log, err);
             SandboxMonitor monitor = starting.join(monitorStep);
             // Declared before the cgroup so it closes after it: the sandbox is dead before the gate stops answering.
             SessionEnforcement enforcement = enforcementStep == null ? null : starting.join(enforcementStep);
             SandboxCgroup cgroup = SandboxCgroup.create(cgroups, sessionId);
             SessionControlPlane ui = SessionControlPlane.start(controlPlane, sessionId, principal, options.command(),
                     engine.name(), options.projectDir(), enforcement, cgroup,
                     () -> ringLossRecorded.get() ? 0 : monitor.eventsLost() + monitor.programMisses(), bus,
                     record.store(), err);
             // Closes before the cgroup and enforcement: a guard attach still running when the session fails is waited for.
             ConcurrentSteps preparing = new ConcurrentSteps("tether-prepare-" + sessionId)) {
            if (enforcement != null) {
                log.explainWith(enforcement::explainReadOnlyRefusal);
            }
            List<String> swept = starting.join(sweepStep);
            if (!swept.isEmpty()) {
                err.println("tether: cleaned up " + swept.size() + " session(s) a previous tether left behind: " + swept);
            }
            timings.mark("lock, stale-session sweep, watchdog, audit store, BPF monitor, enforcement (policy, gate), cgroup, UI");
            monitor.register(cgroup, SLOT);
            bus.publish(Event.builder(EventKind.SESSION_START).timeNs(Event.nowNs()).session(sessionId)
                    .principal(agentName).detail(SessionDetail.start(options.command(), options.mode().configName(), engine.name()))
                    .build());
            // The kernel guards load and attach while the sandbox is prepared (network namespace, mounts).
            var guardsStep = enforcement == null ? null : preparing.fork(timings.timed("kernel guards", () -> {
                enforcement.attachKernelGuards(cgroup, preloaded);
                return null;
            }));
            int exit;
            PreparedSandbox sandbox = prepare(sessionId, enforcement);
            try {
                if (guardsStep != null) {
                    preparing.join(guardsStep);
                }
            } catch (RuntimeException e) {
                sandbox.close();
                throw e;
            }
            if (enforcement == null) {
                err.println("tether: no policy given: monitoring only, nothing is enforced");
            } else {
                err.println("tether: enforcing " + options.policyFile() + " (" + options.mode().configName() + ")");
            }
            timings.mark("kernel guards attached while the sandbox was prepared (network namespace, mounts)");
            try (var signals = SignalForwarding.install(cgroup)) {
                if (enforcement != null && sandbox.network().isPresent()) {
                    enforcement.startProxyAndDns(sandbox.network().get(), bus, starting.join(caStep));
                    timings.mark("DNS forwarder and proxy started, the sandbox's traffic redirected to them");
                }
                beforeStart.prepare(principal, sandbox, cgroup);
                SandboxProcess process = sandbox.start(new SandboxSpec.SessionCgroupPlacement(cgroup.procsFile(), cgroupPath),
                        enforcement == null ? SandboxEngine.StartHook.NONE : enforcement.beforeCommand());
                timings.mark("sandbox started (engine up to the command's exec)");
                SessionLimitsReport.started(sandbox.plan().limits(), process, err);
                exit = process.waitFor();
                timings.mark("command ran");
                if (enforcement != null && timings.enabled()) {
                    var g = enforcement.gateStats();
                    timings.note(String.format(java.util.Locale.ROOT, "file gate: %d exec events, %.1f µs each deciding in tether"
                            + " (event taken to answer ready); %d open events (%d the open half of an exec), %.1f µs each;"
                            + " %d syscalls read from the kernel map, the rest from /proc; %d programs approved by identity (any argv, or decided in the kernel by their argv literals);"
                            + " %d files and %d directories whose opens the kernel skips",
                            g.execEvents(), g.execEvents() == 0 ? 0.0 : g.execNanos() / 1e3 / g.execEvents(),
                            g.openEvents(), g.execOpenHalves(), g.openEvents() == 0 ? 0.0 : g.openNanos() / 1e3 / g.openEvents(),
                            g.syscallsFromKernelMap(), g.cachedPrograms(), g.cachedFiles(), g.cachedDirectories()));
                }
            } catch (CommandNotFoundException e) {
                sandbox.close();
                throw new UserError(e.getMessage(), EXIT_NOT_FOUND);
            } catch (IllegalArgumentException | IllegalStateException | java.io.UncheckedIOException e) {
                sandbox.close();
                throw new UserError("cannot start the sandbox: " + e.getMessage(), EXIT_TETHER_ERROR);
            } catch (java.io.IOException e) {
                sandbox.close();
                throw new UserError("cannot start the session's proxy: " + e.getMessage(), EXIT_TETHER_ERROR);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                exit = EXIT_TETHER_ERROR;
            }
            SessionLimitsReport.ended(sessionId, cgroup.dir(), sandbox.plan().limits(), err);
            timings.mark("limits report");
            // Leftovers (daemons the command started) die before the engine cleans up; the gate
            // still answers while they do.
            boolean empty = cgroup.killAndAwaitEmpty();
            timings.mark("the sandbox's processes killed");
            // Nothing runs in the sandbox any more: the engine removes it while the monitor and the
            // enforcement layers drain, all before the session's end is recorded. (If the kernel
            // would not reap everything, the layers stay up until the engine has removed it.)
            try (ConcurrentSteps stopping = new ConcurrentSteps("tether-stop-" + sessionId)) {
                List<ConcurrentSteps.Task<Void>> draining = new java.util.ArrayList<>();
                Runnable drain = () -> {
                    draining.add(stopping.fork(() -> {
                        monitor.unregister(cgroup);
                        monitor.close(); // drains the ring onto the bus; the loss counters keep their final values
                        return null;
                    }));
                    if (enforcement != null) {
                        draining.add(stopping.fork(() -> {
                            enforcement.closeKernelLayers();
                            return null;
                        }));
                    }
                };
                if (empty) {
                    drain.run();
                }
                sandbox.close();
                cgroup.close();
                timings.mark("sandbox and cgroup removed (the monitor and guards draining meanwhile)");
                if (!empty) {
                    drain.run();
                }
                draining.forEach(stopping::join);
            }
            long lost = monitor.eventsLost() + monitor.programMisses();
            ringLossRecorded.set(true);
            bus.publish(KernelEventMapper.ringBufferLoss(new KernelEventMapper.Attribution(sessionId, agentName), lost));
            bus.publish(Event.builder(EventKind.SESSION_END).timeNs(Event.nowNs()).session(sessionId).principal(agentName)
                    .detail(SessionDetail.end(exit)).build());
            record.finish(sessionId, exit);
            timings.mark("monitor and guards drained, summary");
            return exit;
        }
    }

    private PreparedSandbox prepare(String sessionId, SessionEnforcement enforcement) {
        SandboxPlan plan = plans.apply(sessionId);
        if (enforcement != null) {
            enforcement.reportUnshieldedVolumes(plan.mounts());
            plan = enforcement.locked(plan.withMounts(enforcement.readOnlyMounts(plan.projectDir())));
        } else { // no policy: tether's own files are still out of the sandbox's reach
            plan = plan.withMounts(OwnFiles.atProjectNames(plan.projectDir(),
                    OwnFiles.ofThisProcess().readOnlyPaths(plan.projectDir(), err)));
        }
        try {
            return PreparedSandbox.prepare(plan, engine);
        } catch (NetworkSetupException e) {
            throw new UserError("cannot set up the sandbox's network: " + e.getMessage(), EXIT_TETHER_ERROR);
        }
    }

    private static LibBpf loadLibBpf() {
        try {
            return LibBpf.load();
        } catch (MissingNativeLibraryException e) {
            throw new UserError(e.getMessage() + "; run ./tether --yes to install prerequisites", EXIT_TETHER_ERROR);
        }
    }

    private static SandboxMonitor startMonitor(PreloadedKernelObjects preloaded, LibBpf libbpf, LibC libc,
                                               Cgroup2Hierarchy cgroups, java.util.function.Consumer<KernelEvent> sink) {
        try {
            int level = SandboxCgroup.sessionLevel(cgroups);
            return SandboxMonitor.start(preloaded.takeMonitor().orElseGet(() -> SandboxMonitor.load(libbpf)), libc, level,
                    sink, dev.tether.kernel.bpf.EventRingConsumer.Kind.MAPPED);
        } catch (NativeCallException e) {
            throw new UserError("the kernel refused tether's eBPF monitor, so nothing could be watched; "
                    + "'tether doctor' shows what works on this host.\n" + e.getMessage(), EXIT_TETHER_ERROR);
        }
    }
}
