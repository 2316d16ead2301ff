package dev.tether.cli.session;

import dev.tether.cli.UserError;
import dev.tether.events.Event;
import dev.tether.kernel.enforce.CgroupNetworkGuard;
import dev.tether.events.EventBus;
import dev.tether.kernel.enforce.ExecGuard;
import dev.tether.proxy.ca.CertificateAuthority;
import dev.tether.sandbox.net.SandboxNetwork;
import dev.tether.kernel.enforce.FanotifyGate;
import dev.tether.kernel.cgroup.SandboxCgroup;
import dev.tether.kernel.enforce.UnenforceableNetworkPolicyException;
import dev.tether.kernel.ffm.LibBpf;
import dev.tether.kernel.enforce.FileAccessJudge;
import dev.tether.kernel.enforce.ForbiddenInodes;
import dev.tether.kernel.enforce.PathAliases;
import dev.tether.kernel.enforce.ProtectedFiles;
import dev.tether.kernel.enforce.SessionPolicy;
import dev.tether.kernel.ffm.LibC;
import dev.tether.kernel.ffm.Landlock;
import dev.tether.kernel.landlock.LandlockFloor;
import dev.tether.kernel.landlock.LandlockHelper;
import dev.tether.kernel.ffm.NativeCallException;
import dev.tether.kernel.watch.InotifyChangeSource;
import dev.tether.policy.Finding;
import dev.tether.policy.Mode;
import dev.tether.policy.PolicyHolder;
import dev.tether.policy.PolicyRejectedException;
import dev.tether.policy.Principal;
import dev.tether.sandbox.BindMount;
import dev.tether.sandbox.SandboxEngine;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * The policy of one session and the layers that enforce it: the live snapshot (hot-reloaded from
 * the file), the principal and mode, and the fanotify gate on the sandbox's mounts. One
 * {@link SessionPolicy} reference is what every layer reads, so a reload switches them together.
 */
public final class SessionEnforcement implements AutoCloseable {
    /**
     * Sandboxes have a network namespace of their own (or none), so their loopback is not the
     * host's; TCP 80/443 are decided by address like any port until the proxy takes them
     * ({@link #startProxyAndDns}).
     */
    private static final CgroupNetworkGuard.Options NETWORK = new CgroupNetworkGuard.Options(false, false);

    private final PolicyHolder holder;
    private final AtomicReference<SessionPolicy> policy;
    private final FanotifyGate gate;
    private final FileAccessJudge judge;
    private final Path projectDir;
    private final PrintWriter err;
    private final LibC libc;
    private final LibBpf libbpf;
    private final Consumer<Event> sink;
    private final String sessionId;
    private final ProtectedFiles protectedFiles;
    private volatile CgroupNetworkGuard guard;
    private volatile ExecGuard execGuard;
    private volatile SessionProxy proxy;
    private volatile SessionDns dns;
    private volatile CgroupNetworkGuard.Options networkOptions = NETWORK;
    private long cgroupId;
    private boolean kernelLayersClosed;
    /** {@code --lock}: the kernel's Landlock ABI (0: no floor), and the floor once the plan is known. */
    private final int landlockAbi;
    private final PathAliases aliases;
    private volatile LandlockFloor floor;
    private List<Integer> floorPorts = List.of();
    /** Project scans after reloads that carried the previous one over (one at a time, in order). */
    private final java.util.concurrent.ExecutorService rescans;
    /** The project's mounts: read-only for tether's own files and the forbids, then following the policy. */
    private final SessionMounts mounts;
    /** The sandbox's first process once it runs (its root is where paths outside the project are found); 0 before. */
    private volatile long sandboxPid;
    /** {@code TETHER_TIMINGS}: print where each reload's time went. */
    private final boolean timings = System.getenv("TETHER_TIMINGS") != null;

    private SessionEnforcement(LibC libc, LibBpf libbpf, PolicyHolder holder, AtomicReference<SessionPolicy> policy,
                               FanotifyGate gate, FileAccessJudge judge, Path projectDir, Consumer<Event> sink,
                               String sessionId, PrintWriter err, ProtectedFiles protectedFiles, PathAliases aliases,
                               int landlockAbi) {
        this.protectedFiles = protectedFiles;
        this.aliases = aliases;
        this.landlockAbi = landlockAbi;
        this.libc = libc;
        this.libbpf = libbpf;
        this.sink = sink;
        this.sessionId = sessionId;
        this.holder = holder;
        this.policy = policy;
        this.gate = gate;
        this.judge = judge;
        this.projectDir = projectDir;
        this.err = err;
        this.mounts = new SessionMounts(policy::get, gate, judge, aliases, projectDir, holder.policyFile(), sessionId,
                landlockAbi != 0, err, warning -> reportGap(dev.tether.events.EventLayer.FANOTIFY, "mounts",
                        "FileOpenReadWrite", warning));
        this.rescans = java.util.concurrent.Executors.newSingleThreadExecutor(
                Thread.ofPlatform().daemon().name("tether-rescan-" + sessionId).factory());
    }

    private static ForbiddenInodes scan(Path projectDir, FileAccessJudge judge, SessionPolicy policy, PrintWriter err) {
        try {
            ForbiddenInodes f = ForbiddenInodes.scan(projectDir, judge, policy, ForbiddenInodes.DEFAULT_LIMIT);
            if (f.truncated()) {
                err.println("tether: the project has more than " + ForbiddenInodes.DEFAULT_LIMIT + " entries; files beyond"
                        + " them are protected by name only (a rename could reach them under a permitted name)");
            }
            return f;
        } catch (IOException e) {
            err.println("tether: cannot scan " + projectDir + " for forbidden files (" + e.getMessage()
                    + "); they are protected by name only");
            return ForbiddenInodes.none();
        }
    }

    /**
     * The project scan, and once the sandbox runs, what forbids deny outside the project as the
     * sandbox sees it ({@link ForbiddenInodes#scanOutside}): both by identity.
     */
    private ForbiddenInodes scanForbidden(SessionPolicy p) {
        ForbiddenInodes project = scan(projectDir, judge, p, err);
        long pid = sandboxPid;
        return pid <= 0 ? project : project.withOutside(scanOutside(p, pid));
    }

    private ForbiddenInodes scanOutside(SessionPolicy p, long pid) {
        ForbiddenInodes outside = ForbiddenInodes.scanOutside((int) pid, aliases.of(projectDir.toAbsolutePath().normalize().toString()),
                judge, p, libc, ForbiddenInodes.OUTSIDE_LIMIT);
        if (outside.truncated()) {
            err.println("tether: the paths the policy's forbids reach outside the project hold more than "
                    + ForbiddenInodes.OUTSIDE_LIMIT + " entries; files beyond them are protected by name only"
                    + " (a hard link could reach them under a permitted name)");
        }
        return outside;
    }

    /**
     * Project paths a forbid makes unwritable, mounted read-only in the sandbox (enforce mode only)
     * so rename and link cannot reach them either.
     */
    public List<Path> readOnlyPaths() {
        SessionPolicy p = policy.get();
        return p.mode() == Mode.ENFORCE ? p.forbidden().readOnlyPaths() : List.of();
    }

    /**
     * Loads the policy (a bad one refuses to start, pointing at file:line:col) and creates the
     * gate; {@link #beforeCommand} then attaches it to the sandbox.
     */
    public static SessionEnforcement start(LibC libc, LibBpf libbpf, Path policyFile, Principal principal, Mode mode,
                                           String sessionId, String sessionCgroup, Path projectDir,
                                           Consumer<Event> sink, PrintWriter err) {
        return start(libc, libbpf, policyFile, principal, mode, false, sessionId, sessionCgroup, projectDir, sink, err);
    }

    /**
     * As above; with {@code lock}, the sandbox also gets a Landlock floor ({@link #locked}), and a
     * kernel without Landlock (or with too old an ABI) refuses the session before anything starts.
     */
    public static SessionEnforcement start(LibC libc, LibBpf libbpf, Path policyFile, Principal principal, Mode mode,
                                           boolean lock, String sessionId, String sessionCgroup, Path projectDir,
                                           Consumer<Event> sink, PrintWriter err) {
        int landlockAbi = lock ? landlockAbi(libc) : 0;
        PolicyHolder holder;
        try {
            holder = PolicyHolder.open(policyFile, null);
        } catch (PolicyRejectedException e) {
            throw new UserError("the policy " + policyFile + " has errors, so nothing was started:\n" + render(e.errors()), 2);
        }
        ProtectedFiles protectedFiles = new ProtectedFiles().protectFromWrites(policyFile)
                .protectFromOpens(TetherDirs.certificateAuthority().resolve("ca.key"));
        PathAliases aliases = PathAliases.project(projectDir.toString());
        FileAccessJudge judge = new FileAccessJudge(aliases, protectedFiles);
        SessionPolicy initial = new SessionPolicy(holder.current(), principal, mode);
        ForbiddenInodes forbidden = scan(projectDir, judge, initial, err);
        AtomicReference<SessionPolicy> policy = new AtomicReference<>(initial.withSnapshot(holder.current(), forbidden));
        FanotifyGate gate;
        try {
            gate = new FanotifyGate(libc, sessionId, sessionCgroup, judge, policy::get, sink);
        } catch (NativeCallException e) {
            holder.close();
            throw new UserError("file and exec enforcement needs fanotify permission events, which this kernel refused ("
                    + e.getMessage() + "); 'tether doctor' shows what works here", SandboxSession.EXIT_TETHER_ERROR);
        }
        SessionEnforcement enforcement = new SessionEnforcement(libc, libbpf, holder, policy, gate, judge, projectDir,
                sink, sessionId, err, protectedFiles, aliases, landlockAbi);
        holder.addListener(enforcement::onReload);
        try {
            holder.watch(files -> InotifyChangeSource.open(libc, files));
        } catch (IOException inotify) {
            // Java's WatchService cannot see a write complete, so every reload waits out the settle time
            err.println("tether: cannot watch " + policyFile + " with inotify (" + inotify.getMessage()
                    + "); falling back to Java's WatchService (each reload waits " + PolicyHolder.SETTLE_MILLIS
                    + " ms for the writer to finish)");
            try {
                holder.watch();
            } catch (IOException e) {
                err.println("tether: cannot watch " + policyFile + " for changes (" + e.getMessage() + "); reload disabled");
            }
        }
        return enforcement;
    }

    private static int landlockAbi(LibC libc) {
        int abi;
        try {
            abi = new Landlock(libc).abi();
        } catch (NativeCallException e) {
            throw new UserError("--lock needs Landlock, which this kernel does not offer (" + e.getErrnoDescription()
                    + "; it must be built in and listed in the lsm= boot parameter); run without --lock to rely on the"
                    + " fanotify gate alone, or see 'tether doctor'", SandboxSession.EXIT_TETHER_ERROR);
        }
        if (abi < LandlockFloor.MIN_ABI) {
            throw new UserError("--lock needs Landlock ABI " + LandlockFloor.MIN_ABI + " or later; this kernel has ABI " + abi
                    + ", which refuses every rename and link across directories", SandboxSession.EXIT_TETHER_ERROR);
        }
        return abi;
    }

    /**
     * With {@code --lock}: the plan with its command wrapped by the {@code tether-landlock} helper
     * (mounted read-only at {@link LandlockHelper#IN_SANDBOX}), which applies the floor derived
     * from the policy in force and execs the command. Without, the plan unchanged.
     */
    public dev.tether.sandbox.SandboxPlan locked(dev.tether.sandbox.SandboxPlan plan) {
        if (landlockAbi == 0) {
            return plan;
        }
        // With a network the sandbox reaches the session's DNS forwarder (53) and the proxy (80/443).
        floorPorts = plan.network() ? List.of(53, 80, 443) : List.of();
        SessionPolicy p = policy.get();
        LandlockFloor f = deriveFloor(p.snapshot());
        String encoded;
        try {
            encoded = f.encode();
        } catch (IllegalStateException e) {
            throw new UserError("--lock: " + e.getMessage(), 2);
        }
        Path helper = LandlockHelper.install(dev.tether.sandbox.SessionFiles.dir(sessionId).resolve("tether-landlock"));
        protectedFiles.trustForExec(helper, "tether's Landlock helper (--lock): it only takes rights away, then execs"
                + " the command, whose exec is judged as usual");
        floor = f;
        err.println("tether: --lock: " + f.summary());
        return plan.wrappedBy(new BindMount(helper, LandlockHelper.IN_SANDBOX, true), List.of("--"),
                java.util.Map.of(LandlockFloor.ENVIRONMENT, encoded));
    }

    private LandlockFloor deriveFloor(dev.tether.policy.PolicySnapshot snapshot) {
        try {
            return LandlockFloor.derive(snapshot.permitBounds(policy.get().principal()), aliases, landlockAbi,
                    FanotifyGate.UNMARKED_FS, floorPorts);
        } catch (UnsupportedOperationException e) {
            throw new UserError("--lock: " + e.getMessage(), SandboxSession.EXIT_TETHER_ERROR);
        }
    }

    /** The session's Landlock floor, or null without {@code --lock}. */
    public LandlockFloor floor() {
        return floor;
    }

    /**
     * Says at start which writable volumes besides the project are not shielded ({@link
     * SessionMounts#reportUnshieldedVolumes}).
     */
    public void reportUnshieldedVolumes(List<BindMount> volumes) {
        mounts.reportUnshieldedVolumes(volumes);
    }

    /** A gap in enforcement, said loudly: on stderr and in the audit trail as an {@code EnforcementGap} event. */
    private void reportGap(dev.tether.events.EventLayer layer, String mechanism, String actions, String warning) {
        err.println("tether: WARNING: " + warning);
        try {
            sink.accept(Event.builder(dev.tether.events.EventKind.ENFORCEMENT_GAP).timeNs(Event.nowNs()).session(sessionId)
                    .principal(policy.get().principal().agent()).layer(layer)
                    .detail(new dev.tether.events.GapDetail(mechanism, actions, warning).withinLimits())
                    .build());
        } catch (RuntimeException e) {
            err.println("tether: cannot record the enforcement gap event: " + e.getMessage());
        }
    }

    /** A kernel record of a refusal by a read-only mount, explained ({@link SessionMounts#explainReadOnlyRefusal}). */
    public Event explainReadOnlyRefusal(Event e) {
        return mounts.explainReadOnlyRefusal(e);
    }

    /**
     * A reload is in force at the gate; what it permits beyond the floor set at start stays
     * denied by Landlock. Say so loudly, on stderr and in the audit trail, never pretend otherwise.
     */
    private void reportBeyondFloor(dev.tether.policy.PolicySnapshot next) {
        LandlockFloor f = floor;
        if (f == null) {
            return;
        }
        List<String> beyond = f.deniedBeyond(deriveFloor(next));
        if (beyond.isEmpty()) {
            return;
        }
        String reason = "policy generation " + next.generation() + " permits more than the --lock floor set at session"
                + " start; Landlock still denies (EACCES): " + String.join("; ", beyond);
        reportGap(dev.tether.events.EventLayer.LANDLOCK, "landlock", "FileOpen/ProcessExec/NetworkConnect", reason);
    }

    /**
     * Attaches the kernel guards to the session cgroup before anything runs in it: the cgroup-BPF
     * network guard with the current rules, and the exec guard (armed by {@link #beforeCommand}),
     * on the objects a spare loaded ahead where it did.
     */
    public void attachKernelGuards(SandboxCgroup cgroup, PreloadedKernelObjects preloaded) {
        SessionPolicy p = policy.get();
        this.cgroupId = cgroup.id();
        try {
            var rules = p.snapshot().networkRules(p.principal());
            guard = CgroupNetworkGuard.attach(preloaded.takeNetworkGuard().orElseGet(() -> CgroupNetworkGuard.load(libbpf)),
                    libbpf, libc, cgroup.dir(), rules, p.snapshot().generation(), p.mode(), NETWORK, sink, sessionId,
                    p.principal().agent());
            execGuard = ExecGuard.attach(preloaded.takeExecGuard().orElseGet(() -> ExecGuard.load(libbpf)), libbpf, libc,
                    cgroup.level(), sink, sessionId, p.principal().agent());
            gate.useExecGuard(execGuard);
        } catch (UnenforceableNetworkPolicyException e) {
            throw new UserError("the policy's network rules cannot be enforced in the kernel: " + e.getMessage(), 2);
        } catch (NativeCallException e) {
            throw new UserError("network enforcement needs cgroup-BPF socket programs, which this kernel refused ("
                    + e.getMessage().lines().findFirst().orElse("") + "); 'tether doctor' shows what works here",
                    SandboxSession.EXIT_TETHER_ERROR);
        }
    }

    /**
     * Read-only bind mounts, at both names of the project, for tether's policy directory, for
     * tether's config, CA and installation when the project holds them ({@link OwnFiles}) and for
     * what a forbid makes unwritable (enforce mode): they stop rename, link and unlink too.
     */
    public List<BindMount> readOnlyMounts(Path project) {
        return mounts.readOnlyAtStart(project, readOnlyPaths());
    }

    /**
     * Starts the session's DNS forwarder and proxy on the sandbox's gateway, then steers the
     * sandbox's DNS (replacing the plain forward to the host's resolver) and TCP 80/443 to them in
     * one nft transaction; only then does the kernel guard let 80/443 through to be decided by
     * hostname. Every address the forwarder answers is pinned in the kernel guard with the rules
     * for the name asked. Without an upstream resolver or the guard, or when the forwarder cannot
     * start, DNS stays as it was and hostname rules are not enforced by the kernel (connections are
     * decided by the address rules alone: nothing opens); without the proxy, the session does not start.
     *
     * @param ca tether's CA ({@link #openCertificateAuthority}, read while the rest of the session starts)
     */
    public void startProxyAndDns(SandboxNetwork network, EventBus bus, CertificateAuthority ca) throws IOException {
        SessionDns startedDns = startDnsForwarder(network);
        SessionProxy startedProxy = null;
        try {
            startedProxy = SessionProxy.start(network, policy::get, bus, sessionId, ca);
            network.redirect(List.of(80, 443), startedProxy.address(),
                    startedDns == null ? null : new java.net.InetSocketAddress(network.gateway4(), startedDns.port()));
        } catch (IOException | RuntimeException e) {
            if (startedProxy != null) {
                startedProxy.close();
            }
            if (startedDns != null) {
                startedDns.close();
            }
            throw e instanceof IOException io ? io : new IOException(e.getMessage(), e);
        }
        proxy = startedProxy;
        dns = startedDns;
        networkOptions = new CgroupNetworkGuard.Options(false, true, List.of(network.gateway4(), network.gateway6()));
        SessionPolicy p = policy.get();
        if (guard != null) {
            guard.apply(p.snapshot().networkRules(p.principal()), p.snapshot().generation(), p.mode(), networkOptions);
        }
    }

    /** Opens (on first use creates) tether's CA, which signs the proxy's certificates. */
    public static CertificateAuthority openCertificateAuthority() throws IOException {
        return CertificateAuthority.openOrCreate(TetherDirs.certificateAuthority());
    }

    /** The DNS forwarder on the sandbox's gateway, pinning in the kernel guard; null (said why) when there is none. */
    private SessionDns startDnsForwarder(SandboxNetwork network) {
        CgroupNetworkGuard g = guard;
        if (g == null) {
            return null;
        }
        var upstream = SessionDns.upstream(System.getenv(), Path.of("/etc/resolv.conf"));
        if (upstream.isEmpty()) {
            err.println("tether: no DNS resolver in /etc/resolv.conf (or TETHER_DNS_UPSTREAM): hostname rules"
                    + " are not enforced by the kernel guard");
            return null;
        }
        DnsPins pins = new DnsPins(new DnsPins.Target() {
            @Override
            public boolean pin(java.net.InetAddress address, List<dev.tether.policy.NetworkRules.Rule> rules,
                               java.util.Set<String> names) {
                return g.pin(address, rules, names);
            }

            @Override
            public void unpin(java.net.InetAddress address) {
                g.unpin(address);
            }
        }, () -> {
            SessionPolicy p = policy.get();
            return (name, address) -> p.snapshot().networkRules(p.principal(), name, address);
        }).reserve(List.of(network.gateway4(), network.gateway6()));
        try {
            return SessionDns.start(List.of(network.gateway4(), network.gateway6()), upstream.get(), pins,
                    () -> policy.get().mode() == Mode.ENFORCE, err);
        } catch (IOException | RuntimeException e) {
            err.println("tether: cannot start the session's DNS forwarder (" + e.getMessage() + "); names resolve"
                    + " through the host's resolver and hostname rules are not enforced by the kernel guard");
            return null;
        }
    }

    /** The start hook: watch the sandbox's mounts, then start answering. */
    public SandboxEngine.StartHook beforeCommand() {
        return sandboxPid -> {
            this.sandboxPid = sandboxPid;
            synchronized (this) {
                // Outside the project, what a forbid denies is found in the sandbox's own tree: now it exists.
                SessionPolicy p = policy.get();
                policy.set(p.withSnapshot(p.snapshot(), p.forbidden().withOutside(scanOutside(p, sandboxPid))));
            }
            mounts.attach(sandboxPid);
            gate.markSandboxMounts(sandboxPid);
            gate.start();
            if (execGuard != null) {
                execGuard.arm(cgroupId);
            }
        };
    }

    public SessionPolicy current() {
        return policy.get();
    }

    /** The holder of the policy file in force (for the control plane: text, replace, persist). */
    public PolicyHolder holder() {
        return holder;
    }

    /**
     * Switches the session's mode live: the kernel network guard flips to the new mode, the gate
     * forgets its cached allows, the proxy reads the new mode on its next decision.
     */
    public synchronized void setMode(Mode mode) {
        mounts.beforePolicyChange();
        SessionPolicy next = policy.updateAndGet(p -> p.withMode(mode));
        if (guard != null) {
            guard.apply(next.snapshot().networkRules(next.principal()), next.snapshot().generation(), mode, networkOptions);
        }
        gate.policyChanged();
        mounts.follow();
        err.println("tether: mode is now " + mode.configName());
        if (floor != null && mode != Mode.ENFORCE) {
            err.println("tether: the --lock Landlock floor stays in force: paths outside it are still refused (EACCES)");
        }
    }

    private synchronized void onReload(PolicyHolder.Reload reload) {
        protectedFiles.refresh(); // an edited policy file is a new inode

        switch (reload) {
            case PolicyHolder.Applied applied -> {
                long startNs = System.nanoTime();
                SessionPolicy before = policy.get();
                // The project walk can take seconds in a big tree: skip it when its answer is known.
                // Same forbids → the previous scan's inodes (re-pointed at the new statements) now, a
                // fresh scan in the background; no forbid at all → nothing to find.
                Optional<ForbiddenInodes> carried = ForbiddenInodes.forbidsNothing(applied.current())
                        ? Optional.of(ForbiddenInodes.none())
                        : before.forbidden().carriedOver(before.snapshot(), applied.current());
                ForbiddenInodes scanned = carried.orElseGet(() ->
                        scanForbidden(before.withSnapshot(applied.current(), before.forbidden())));
                long scannedNs = System.nanoTime();
                try {
                    if (guard != null) {
                        guard.apply(applied.current().networkRules(before.principal()), applied.current().generation(),
                                before.mode(), networkOptions);
                    }
                } catch (UnenforceableNetworkPolicyException e) {
                    err.println("tether: the edited policy's network rules cannot be enforced (" + e.getMessage()
                            + "); the previous policy stays in force for every layer");
                    recordPolicyEvent(dev.tether.events.EventKind.POLICY_REJECTED, before.snapshot().generation(), null,
                            List.of("network rules cannot be enforced in the kernel: " + e.getMessage()));
                    return;
                }
                long guardNs = System.nanoTime();
                mounts.beforePolicyChange();
                policy.set(before.withSnapshot(applied.current(), scanned));
                SessionDns d = dns;
                if (d != null) {
                    d.pins().recompute(); // pinned addresses get the edited policy's rules for their names
                }
                long pinsNs = System.nanoTime();
                gate.policyChanged();
                long inForceNs = System.nanoTime();
                mounts.follow();
                long mountsNs = System.nanoTime();
                if (timings) {
                    err.println(reloadTimings(applied, startNs, scannedNs, guardNs, pinsNs, inForceNs,
                            ForbiddenInodes.forbidsNothing(applied.current()) ? "no forbid: nothing to walk for"
                                    : carried.isPresent() ? "same forbids: carried over, rescanned in the background"
                                    : scanned.scanned() + " entries walked")
                            + String.format("; then the project's mounts %.1f ms", (mountsNs - inForceNs) / 1e6));
                }
                if (carried.isPresent() && !ForbiddenInodes.forbidsNothing(applied.current())) {
                    rescanLater(applied.current());
                }
                err.println("tether: policy reloaded (generation " + applied.current().generation() + ")");
                recordPolicyEvent(dev.tether.events.EventKind.POLICY_RELOAD, applied.current().generation(),
                        applied.current().statements().size(), List.of());
                reportBeyondFloor(applied.current());
            }
            case PolicyHolder.Kept kept -> {
                err.println("tether: the edited policy has errors; the previous one stays in force:\n"
                        + render(kept.errors()));
                recordPolicyEvent(dev.tether.events.EventKind.POLICY_REJECTED, policy.get().snapshot().generation(), null,
                        kept.errors().stream().map(Finding::render).toList());
            }
        }
    }

    /**
     * After a reload that carried the previous scan over: scans the project again under
     * {@code snapshot}, off the reload path, and puts the result in force if that snapshot still
     * is (a newer reload brings its own scan or carry-over). This finds what changed in the
     * project since the previous scan, as a scan on the reload path did; the gate forgets its
     * cached allows so an inode the scan newly forbids is decided again.
     */
    private void rescanLater(dev.tether.policy.PolicySnapshot snapshot) {
        try {
            rescans.execute(() -> {
                SessionPolicy p = policy.get();
                if (p.snapshot() != snapshot) {
                    return;
                }
                ForbiddenInodes fresh = scanForbidden(p);
                synchronized (this) {
                    SessionPolicy now = policy.get();
                    if (now.snapshot() == snapshot && !kernelLayersClosed) {
                        mounts.beforePolicyChange();
                        policy.set(now.withSnapshot(snapshot, fresh));
                        gate.policyChanged();
                        mounts.follow(); // what the scan newly finds forbidden is mounted read-only
                    }
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException closing) {
            // the session is ending: nothing left to protect
        }
    }

    /**
     * With {@code TETHER_TIMINGS}: where a reload's time went, from the watcher's first sight of
     * the change to the gate's flush (after which the next open is decided by the new version).
     */
    static String reloadTimings(PolicyHolder.Applied applied, long startNs, long scannedNs, long guardNs, long pinsNs,
                                long inForceNs, String scan) {
        StringBuilder b = new StringBuilder("tether: timing reload: generation ").append(applied.current().generation());
        applied.watched().ifPresent(w -> b.append(String.format(java.util.Locale.ROOT,
                ": settle %.1f ms, read %.1f ms, compile %.1f ms, listener wait %.1f ms",
                ms(w.settledNanos() - w.seenNanos()), ms(w.readNanos() - w.settledNanos()),
                ms(w.compiledNanos() - w.readNanos()), ms(startNs - w.compiledNanos()))));
        b.append(String.format(java.util.Locale.ROOT,
                ", project scan %.1f ms (%s), network guard %.1f ms, dns pins %.1f ms, gate flush %.1f ms",
                ms(scannedNs - startNs), scan, ms(guardNs - scannedNs), ms(pinsNs - guardNs), ms(inForceNs - pinsNs)));
        applied.watched().ifPresent(w -> b.append(String.format(java.util.Locale.ROOT,
                "; change seen → in force %.1f ms", ms(inForceNs - w.seenNanos()))));
        // wall clock, so a benchmark can place the reload between its write and the sandbox's read
        java.time.Instant now = java.time.Instant.now();
        long epochNs = now.getEpochSecond() * 1_000_000_000L + now.getNano() - (System.nanoTime() - inForceNs);
        b.append("; in force at epoch ns ").append(epochNs);
        applied.watched().ifPresent(w -> b.append(", seen at epoch ns ").append(epochNs - (inForceNs - w.seenNanos())));
        return b.toString();
    }

    private static double ms(long nanos) {
        return nanos / 1e6;
    }

    /**
     * The audit trail's record of a policy change: what was put in force (generation, number of
     * statements) or what was refused and why (the previous policy stays). Resource: the policy file.
     */
    private void recordPolicyEvent(dev.tether.events.EventKind kind, long generation, Integer statements, List<String> errors) {
        try {
            sink.accept(Event.builder(kind).timeNs(Event.nowNs()).session(sessionId)
                    .principal(policy.get().principal().agent()).layer(dev.tether.events.EventLayer.POLICY)
                    .resource(holder.policyFile().toAbsolutePath().normalize().toString())
                    .detail(new dev.tether.events.PolicyDetail(generation, statements, errors).withinLimits())
                    .build());
        } catch (RuntimeException e) {
            err.println("tether: cannot record the policy change in the audit trail: " + e.getMessage());
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

    /**
     * Once the sandbox is gone (its cgroup removed): closes the layers that watched it, so their
     * last events reach the bus before the session's end is recorded. The DNS forwarder stops
     * first (it pins addresses in the network guard), then the fanotify gate and both kernel
     * guards drain and close side by side: their threads sit up to 200 ms (gate) and 100 ms
     * (guards) in a poll before they see the stop, which in series was most of the teardown. With
     * no process left, no permission event can reach the gate, so it does not touch the exec
     * guard while that closes.
     * Idempotent; {@link #close} closes whatever is left.
     */
    public synchronized void closeKernelLayers() {
        if (kernelLayersClosed) {
            return;
        }
        kernelLayersClosed = true;
        if (dns != null) {
            dns.close();
        }
        try (ConcurrentSteps steps = new ConcurrentSteps("tether-stop-" + sessionId)) {
            List<ConcurrentSteps.Task<Void>> closing = new java.util.ArrayList<>();
            for (AutoCloseable layer : new AutoCloseable[] {gate, execGuard, guard}) {
                if (layer != null) {
                    closing.add(steps.fork(() -> {
                        layer.close();
                        return null;
                    }));
                }
            }
            closing.forEach(steps::join);
        }
    }

    @Override
    public void close() {
        rescans.shutdownNow();
        closeKernelLayers();
        if (proxy != null) {
            proxy.close();
        }
        holder.close();
    }
}
