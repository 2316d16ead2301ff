package dev.tether.cli.session;

import dev.tether.events.Event;
import dev.tether.events.EventKind;
import dev.tether.kernel.enforce.FanotifyGate;
import dev.tether.kernel.enforce.FileAccessJudge;
import dev.tether.kernel.enforce.PathAliases;
import dev.tether.kernel.enforce.ProjectWriteLayout;
import dev.tether.kernel.enforce.ProjectWriteShield;
import dev.tether.kernel.enforce.SessionPolicy;
import dev.tether.kernel.mount.MountChange;
import dev.tether.kernel.mount.MountNamespaceHelper;
import dev.tether.kernel.mount.SandboxMountEditor;
import dev.tether.policy.Decision;
import dev.tether.policy.Mode;
import dev.tether.policy.PermitBounds;
import dev.tether.policy.PolicyRef;
import dev.tether.sandbox.BindMount;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * The project's mounts in one session. Deleting, renaming, linking and truncating by path open
 * nothing, so the file gate never judges them; on a read-only mount the kernel refuses them. So
 * tether's own files and what forbids protect are mounted read-only from the start (by the
 * engine), and once the sandbox runs the project's mounts follow the policy in force
 * ({@link ProjectWriteShield}): read-only wherever no permit can write. What cannot be done that
 * way is reported as a gap; the gate is told when the forbidden files are sealed on read-only
 * mounts ({@link FanotifyGate#forbiddenFilesSealed}), which lets it cache whole directories.
 */
final class SessionMounts {
    /** File operations a read-only mount refuses, as the kernel monitor records them. */
    private static final Set<EventKind> WRITES_BY_PATH = EnumSet.of(EventKind.FILE_OPEN_READ_WRITE,
            EventKind.FILE_UNLINK, EventKind.FILE_RENAME, EventKind.FILE_LINK, EventKind.FILE_MKDIR,
            EventKind.FILE_RMDIR, EventKind.FILE_SYMLINK, EventKind.FILE_CHMOD, EventKind.FILE_CHOWN);
    private static final int EROFS = 30;

    private final Supplier<SessionPolicy> policy;
    private final FanotifyGate gate;
    private final FileAccessJudge judge;
    private final PathAliases aliases;
    private final Path project;
    private final Path policyFile;
    private final String sessionId;
    /** Under {@code --lock} Landlock refuses those operations where its floor allows no write: no gap to report. */
    private final boolean locked;
    private final PrintWriter err;
    /** Says a gap on stderr and in the audit trail. */
    private final Consumer<String> reportGap;

    /** Whether tether mounts the whole project read-only at start (its installation, a forbid): nothing to shield. */
    private volatile boolean projectReadOnlyAtStart;
    /** Of those, tether's own (its policy directory, config, CA, installation): not the policy's doing. */
    private volatile List<Path> ownReadOnly = List.of();
    /** Of those, what the forbids protected at start (the shield takes them over). */
    private volatile List<Path> mountedForForbids = List.of();
    /** The project's mounts made read-only where the policy permits no write; null until the sandbox runs. */
    private volatile ProjectWriteShield shield;
    /** What the last path-operation warning said (said again only when it changes). */
    private String pathOperationWarning = "";

    SessionMounts(Supplier<SessionPolicy> policy, FanotifyGate gate, FileAccessJudge judge, PathAliases aliases,
                  Path projectDir, Path policyFile, String sessionId, boolean locked, PrintWriter err,
                  Consumer<String> reportGap) {
        this.policy = policy;
        this.gate = gate;
        this.judge = judge;
        this.aliases = aliases;
        this.project = projectDir.toAbsolutePath().normalize();
        this.policyFile = policyFile.toAbsolutePath().normalize();
        this.sessionId = sessionId;
        this.locked = locked;
        this.err = err;
        this.reportGap = reportGap;
    }

    /**
     * Read-only bind mounts, at both names of the project, for tether's policy directory, for
     * tether's config, CA and installation when the project holds them ({@link OwnFiles}) and for
     * {@code forbidden} (what a forbid makes unwritable, in enforce mode): they stop rename, link
     * and unlink too.
     */
    List<BindMount> readOnlyAtStart(Path projectDir, List<Path> forbidden) {
        List<Path> paths = new ArrayList<>();
        // The policy's directory, or the policy file itself when it sits at the project's top.
        Path policyDir = policyFile.getParent();
        if (policyDir.startsWith(projectDir)) {
            paths.add(policyDir.equals(projectDir) ? policyFile : policyDir);
        }
        paths.addAll(OwnFiles.ofThisProcess().readOnlyPaths(projectDir, err));
        ownReadOnly = paths.stream().map(p -> p.toAbsolutePath().normalize()).toList();
        paths.addAll(forbidden);
        Path projectNormal = projectDir.toAbsolutePath().normalize();
        projectReadOnlyAtStart = paths.stream().anyMatch(p -> p.toAbsolutePath().normalize().equals(projectNormal));
        mountedForForbids = guards(forbidden);
        return OwnFiles.atProjectNames(projectDir, paths);
    }

    /**
     * The sandbox runs: from here its mounts follow the policy (the shield takes over what the
     * engine mounted read-only for the forbids), or, when the project is read-only as a whole,
     * the forbidden files are sealed whatever the policy.
     */
    void attach(long sandboxPid) {
        if (projectReadOnlyAtStart) {
            gate.forbiddenFilesSealed(true);
            return;
        }
        List<String> guardedAtStart = ProjectWriteLayout.writable().guarding(mountedForForbids, project).guarded();
        shield = new ProjectWriteShield(mountEditor(sandboxPid), aliases.of(project.toString()), guardedAtStart);
        follow();
    }

    /**
     * Before the policy or mode changes: until the mounts follow the new one, its forbidden files
     * are not known to be on read-only mounts (the gate caches no directory meanwhile). A project
     * mounted read-only as a whole holds them read-only whatever the policy.
     */
    void beforePolicyChange() {
        if (!projectReadOnlyAtStart) {
            gate.forbiddenFilesSealed(false);
        }
    }

    /**
     * Puts the project's mounts in line with the policy in force. What cannot be done that way (a
     * mount change that failed, a directory kept writable so a permitted path can be created in
     * it) is said on stderr and as an {@code EnforcementGap} event, each time it changes.
     */
    synchronized void follow() {
        ProjectWriteShield s = shield;
        if (s == null) {
            return;
        }
        SessionPolicy p = policy.get();
        ProjectWriteLayout layout = writeLayout(p);
        ProjectWriteShield.Outcome outcome = s.apply(layout);
        // Enforcing with every mount in place: the forbidden files' read-only paths are mounted.
        gate.forbiddenFilesSealed(p.mode() == Mode.ENFORCE && outcome.failed().isEmpty());
        List<String> gaps = new ArrayList<>();
        if (!outcome.failed().isEmpty()) {
            gaps.add("the project's mounts could not follow the policy (" + outcome.failed().entrySet().stream()
                    .map(e -> e.getKey() + ": " + e.getValue()).collect(Collectors.joining("; "))
                    + "), so a write the policy does not permit can be made there by deleting, renaming, linking or"
                    + " truncating a file by path (those open nothing: the file gate does not judge them)");
        }
        if (!layout.exposed().isEmpty()) {
            gaps.add("deleting, renaming, linking or truncating by path (which opens nothing, so the file gate does not"
                    + " judge it) is not refused in " + layout.exposed().stream()
                    .map(rel -> rel.isEmpty() ? "the project's top directory" : rel + "/").toList()
                    + ": kept writable so that paths the policy lets be written, which do not exist yet, can be"
                    + " created there; the rest of the project is mounted read-only where no permit reaches");
        }
        String warning = String.join("; ", gaps);
        if (warning.equals(pathOperationWarning)) {
            return;
        }
        pathOperationWarning = warning;
        if (!warning.isEmpty() && !locked) {
            reportGap.accept(warning);
        }
    }

    /**
     * Writable volumes besides the project (-v DIR:DIR, agent config directories) are not
     * shielded: deleting, renaming, linking or truncating by path there is not refused where the
     * policy permits no write. Said at start (enforce mode, no --lock) for each one the policy does
     * not let be written as a whole, on stderr and as an {@code EnforcementGap} event.
     */
    void reportUnshieldedVolumes(List<BindMount> mounts) {
        SessionPolicy p = policy.get();
        if (p.mode() != Mode.ENFORCE || locked) {
            return;
        }
        List<String> writes = p.snapshot().permitBounds(p.principal()).writes().stream()
                .filter(PermitBounds.PermittedPath::hierarchy).map(PermitBounds.PermittedPath::path).toList();
        List<String> unshielded = mounts.stream()
                .filter(m -> !m.readOnly() && !m.host().toAbsolutePath().normalize().startsWith(project))
                .map(BindMount::target)
                .filter(t -> writes.stream().noneMatch(w -> w.equals("/") || t.equals(w) || t.startsWith(w + "/")))
                .distinct().toList();
        if (unshielded.isEmpty()) {
            return;
        }
        reportGap.accept("deleting, renaming, linking or truncating by path (which opens nothing, so the file gate does"
                + " not judge it) is not refused in the writable volume" + (unshielded.size() > 1 ? "s " : " ") + unshielded
                + ", which the policy does not let be written as a whole (only the project's mounts follow the policy;"
                + " mount it :ro, or use --lock)");
    }

    /**
     * A kernel record of a file operation in the project that failed with EROFS in enforce mode:
     * with the policy's judgment of writing that path, so the audit trail says it was denied and
     * by what (the gate never saw it: the read-only mount tether made for the policy, the
     * project's or a forbidden file's, refused it first). A refusal the policy did not ask for (a
     * read-only volume, tether's own files, a path the policy lets be written) stays as the kernel
     * recorded it; so does every other record.
     */
    Event explainReadOnlyRefusal(Event e) {
        if (e.errno() == null || e.errno() != EROFS || e.resource() == null || !WRITES_BY_PATH.contains(e.kind())) {
            return e;
        }
        SessionPolicy p = policy.get();
        if (shield == null || p.mode() != Mode.ENFORCE || !inProject(e.resource()) || tethersOwn(e.resource())) {
            return e;
        }
        Decision d = judge.openByPolicy(p, e.resource(), true);
        if (d.allowed()) {
            return e;
        }
        return e.toBuilder().decision(dev.tether.events.Verdict.DENY, d.determining().stream().map(PolicyRef::id).toList(),
                "refused by a read-only mount tether made for the policy (the kernel refused it before the gate was"
                        + " asked): " + d.reason()).build();
    }

    /**
     * The layout of the project's mounts the session's policy asks for: read-only except where a
     * permit can allow a write (enforce mode only).
     */
    private ProjectWriteLayout writeLayout(SessionPolicy p) {
        if (p.mode() != Mode.ENFORCE) {
            return ProjectWriteLayout.writable();
        }
        List<Path> kept = new ArrayList<>(ownReadOnly);
        kept.addAll(p.forbidden().readOnlyPaths());
        return ProjectWriteLayout.derive(p.snapshot().permitBounds(p.principal()).writes(), project,
                aliases.of(project.toString()), kept).guarding(guards(p.forbidden().readOnlyPaths()), project);
    }

    /**
     * What a forbid protects from writes, less what tether keeps read-only for itself anyway
     * (those mounts are never the shield's to detach).
     */
    private List<Path> guards(List<Path> forbidden) {
        return forbidden.stream().map(f -> f.toAbsolutePath().normalize())
                .filter(f -> ownReadOnly.stream().noneMatch(f::startsWith)).toList();
    }

    /**
     * The sandbox's mounts, changed through the tether-mounts helper, installed on first use (a
     * policy that lets the whole project be written never needs it).
     */
    private SandboxMountEditor mountEditor(long sandboxPid) {
        return new SandboxMountEditor() {
            private MountNamespaceHelper helper;

            @Override
            public Map<MountChange, String> apply(List<MountChange> changes) {
                try {
                    if (helper == null) {
                        helper = new MountNamespaceHelper(MountNamespaceHelper.install(
                                dev.tether.sandbox.SessionFiles.dir(sessionId).resolve("tether-mounts")),
                                sandboxPid, gate.mountMarkSpec());
                    }
                    // Under the gate's mark lock, which then forgets what it cached: called only
                    // when something changes, so a reload that keeps the layout flushes once.
                    return gate.changeMounts(() -> helper.apply(changes));
                } catch (RuntimeException e) {
                    Map<MountChange, String> failed = new LinkedHashMap<>();
                    changes.forEach(c -> failed.put(c, e.getMessage()));
                    return failed;
                }
            }
        };
    }

    /** Whether a path (by either name of the project) lies in what tether keeps read-only for itself. */
    private boolean tethersOwn(String path) {
        for (String name : aliases.of(project.toString())) {
            if (path.equals(name) || path.startsWith(name + "/")) {
                Path host = Path.of(project + path.substring(name.length()));
                return ownReadOnly.stream().anyMatch(host::startsWith);
            }
        }
        return false;
    }

    private boolean inProject(String path) {
        for (String name : aliases.of(project.toString())) {
            if (path.startsWith(name + "/")) {
                return true;
            }
        }
        return false;
    }
}
