package dev.tether.cli.session;

import dev.tether.cli.UserError;
import dev.tether.kernel.bpf.SandboxMonitor;
import dev.tether.kernel.cgroup.Cgroup2Hierarchy;
import dev.tether.kernel.cgroup.KernelFilesystems;
import dev.tether.kernel.cgroup.MountTable;
import dev.tether.kernel.cgroup.SandboxCgroup;
import dev.tether.events.summary.SessionSummaryFormatter;
import dev.tether.kernel.event.KernelEvent;
import dev.tether.kernel.ffm.LibBpf;
import dev.tether.kernel.ffm.LibC;
import dev.tether.kernel.ffm.MissingNativeLibraryException;
import dev.tether.kernel.ffm.NativeCallException;
import dev.tether.sandbox.CommandNotFoundException;
import dev.tether.sandbox.SandboxEngine;
import dev.tether.sandbox.SandboxProcess;
import dev.tether.sandbox.SandboxSpec;
import dev.tether.policy.Mode;
import dev.tether.policy.Principal;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

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
    public record Options(List<String> command, Path projectDir, Path eventsFile, boolean quiet,
                          Path policyFile, Mode mode, String agent) {}

    private final Options options;
    private final SandboxEngine engine;
    private final PrintWriter err;

    public SandboxSession(Options options, SandboxEngine engine, PrintWriter err) {
        this.options = options;
        this.engine = engine;
        this.err = err;
    }

    public int run() {
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
        List<String> swept = StaleSessionSweeper.sweep(cgroups, SessionLock.DIR);
        if (!swept.isEmpty()) {
            err.println("tether: cleaned up " + swept.size() + " session(s) a previous tether left behind: " + swept);
        }

        String sessionId = new SessionIds().next(Instant.now());
        err.println("tether: session " + sessionId);
        try (SessionLock lock = SessionLock.acquire(SessionLock.DIR, sessionId);
             SessionEventOutput log = new SessionEventOutput(sessionId, options.command(), options.eventsFile(),
                     options.quiet() ? null : err);
             SandboxMonitor monitor = startMonitor(libbpf, libc, cgroups, log::accept);
             SandboxCgroup cgroup = SandboxCgroup.create(cgroups, sessionId);
             SessionEnforcement enforcement = options.policyFile() == null ? null : SessionEnforcement.start(libc, libbpf,
                     options.policyFile(), new Principal(options.agent(), sessionId), options.mode(), sessionId,
                     cgroup.dir(), "/" + cgroups.mountPoint().relativize(cgroup.dir()), options.projectDir(), log::accept, err)) {
            log.sessionStarted(engine.name(), enforcement == null ? null : options.mode().configName());
            monitor.register(cgroup, SLOT);
            if (enforcement == null) {
                err.println("tether: no policy given: monitoring only, nothing is enforced");
            } else {
                err.println("tether: enforcing " + options.policyFile() + " (" + options.mode().configName() + ") for "
                        + "Agent::\"" + options.agent() + "\"");
            }
            int exit;
            try (var signals = SignalForwarding.install(cgroup)) {
                SandboxProcess process = engine.launch(spec(sessionId, cgroup, enforcement),
                        enforcement == null ? SandboxEngine.StartHook.NONE : enforcement.beforeCommand());
                exit = process.waitFor();
            } catch (CommandNotFoundException e) {
                throw new UserError(e.getMessage(), EXIT_NOT_FOUND);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                exit = EXIT_TETHER_ERROR;
            }
            cgroup.close(); // kill leftovers (daemons the command started) before draining events
            monitor.unregister(cgroup);
            monitor.close(); // drains the ring into the output
            long lost = monitor.eventsLost() + monitor.programMisses();
            err.print("tether: " + new SessionSummaryFormatter().format(log.finish(exit, lost)));
            err.flush();
            return exit;
        }
    }

    private SandboxSpec spec(String sessionId, SandboxCgroup cgroup, SessionEnforcement enforcement) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        env.put("HOME", "/root");
        env.put("TETHER_SESSION", sessionId);
        String term = System.getenv("TERM");
        if (term != null) {
            env.put("TERM", term);
        }
        String lang = System.getenv("LANG");
        env.put("LANG", lang == null ? "C.UTF-8" : lang);
        Path project = options.projectDir().toAbsolutePath().normalize();
        List<Path> readOnly = new java.util.ArrayList<>();
        if (options.policyFile() != null) {
            readOnly.add(options.policyFile().toAbsolutePath().normalize().getParent());
        }
        if (enforcement != null) {
            readOnly.addAll(enforcement.readOnlyPaths());
        }
        return new SandboxSpec(options.command(), project, project, env, cgroup.procsFile(),
                "tether-" + sessionId.substring(sessionId.length() - 6), readOnly);
    }

    private static LibBpf loadLibBpf() {
        try {
            return LibBpf.load();
        } catch (MissingNativeLibraryException e) {
            throw new UserError(e.getMessage() + "; run ./tether --yes to install prerequisites", EXIT_TETHER_ERROR);
        }
    }

    private static SandboxMonitor startMonitor(LibBpf libbpf, LibC libc, Cgroup2Hierarchy cgroups,
                                               java.util.function.Consumer<KernelEvent> sink) {
        try {
            return SandboxMonitor.start(libbpf, libc, SandboxCgroup.sessionLevel(cgroups), sink);
        } catch (NativeCallException e) {
            throw new UserError("the kernel refused tether's eBPF monitor, so nothing could be watched; "
                    + "'tether doctor' shows what works on this host.\n" + e.getMessage(), EXIT_TETHER_ERROR);
        }
    }
}
