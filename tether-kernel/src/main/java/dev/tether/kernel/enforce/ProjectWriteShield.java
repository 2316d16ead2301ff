package dev.tether.kernel.enforce;

import dev.tether.kernel.mount.MountChange;
import dev.tether.kernel.mount.SandboxMountEditor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Keeps a running sandbox's project mounts in line with a {@link ProjectWriteLayout}, live: the
 * project mounts (at each of its names) flipped read-only, writable copies attached over the
 * islands. A change is made in the order that never leaves a write possible that neither the old
 * nor the new layout allows: islands that go are made read-only and detached, the project is
 * made read-only, what a forbid protects is mounted read-only, and only then are new islands
 * attached (copying those read-only mounts with them), the project made writable, or read-only
 * mounts of what a forbid no longer protects detached. A process
 * holding a directory of a detached island keeps it read-only (it may be refused more than the
 * policy says until it leaves it, never less).
 */
public final class ProjectWriteShield {
    private final SandboxMountEditor editor;
    private final List<String> names;
    private boolean readOnly;
    private final TreeSet<String> islands = new TreeSet<>();
    private final TreeSet<String> guarded = new TreeSet<>();

    /**
     * @param names the project's mount points in the sandbox (each the root of a mount)
     * @param guardedAtStart project-relative paths the engine already mounted read-only at every
     *     name because a forbid protects them
     */
    public ProjectWriteShield(SandboxMountEditor editor, List<String> names, List<String> guardedAtStart) {
        this.editor = editor;
        this.names = List.copyOf(names);
        this.guarded.addAll(guardedAtStart);
    }

    public ProjectWriteShield(SandboxMountEditor editor, List<String> names) {
        this(editor, names, List.of());
    }

    /** What one {@link #apply} did. */
    public record Outcome(List<MountChange> applied, Map<MountChange, String> failed) {
        public Outcome {
            applied = List.copyOf(applied);
            failed = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(failed));
        }
    }

    /** Changes the mounts from what they are to {@code layout}; what failed is left as it was. */
    public synchronized Outcome apply(ProjectWriteLayout layout) {
        TreeSet<String> wanted = layout.wholeWritable() ? new TreeSet<>() : new TreeSet<>(layout.islands());
        List<MountChange> changes = new ArrayList<>();
        for (String gone : islands) {
            if (!wanted.contains(gone)) {
                atEveryName(MountChange.Kind.DETACH, gone, changes);
            }
        }
        if (!readOnly && !layout.wholeWritable()) {
            atEveryName(MountChange.Kind.READ_ONLY, "", changes);
        }
        TreeSet<String> guards = new TreeSet<>(layout.guarded());
        for (String added : guards) {
            if (!guarded.contains(added)) {
                atEveryName(MountChange.Kind.BIND_READ_ONLY, added, changes);
            }
        }
        TreeSet<String> released = new TreeSet<>();
        for (String added : wanted) {
            if (!islands.contains(added)) {
                if (guarded.contains(added) && !guards.contains(added)) {
                    // No longer protected and now permitted: its read-only mount goes first, or the
                    // island would find a mount root there and be refused.
                    atEveryName(MountChange.Kind.DETACH, added, changes);
                    released.add(added);
                }
                atEveryName(MountChange.Kind.BIND_WRITABLE, added, changes);
            }
        }
        if (readOnly && layout.wholeWritable()) {
            atEveryName(MountChange.Kind.WRITABLE, "", changes);
        }
        for (String gone : guarded) {
            if (!guards.contains(gone) && !released.contains(gone)) {
                atEveryName(MountChange.Kind.DETACH, gone, changes);
            }
        }
        Map<MountChange, String> failed = changes.isEmpty() ? Map.of() : editor.apply(changes);
        List<MountChange> applied = new ArrayList<>();
        for (MountChange c : changes) {
            if (!failed.containsKey(c)) {
                applied.add(c);
            }
        }
        // The state follows the project's own name; its /workspace twin fails or succeeds alike.
        String first = names.getFirst();
        for (MountChange c : applied) {
            if (!c.path().equals(first) && !c.path().startsWith(first + "/")) {
                continue;
            }
            String rel = c.path().equals(first) ? "" : c.path().substring(first.length() + 1);
            switch (c.kind()) {
                case READ_ONLY -> readOnly = true;
                case WRITABLE -> readOnly = false;
                case BIND_WRITABLE -> islands.add(rel);
                case BIND_READ_ONLY -> guarded.add(rel);
                case DETACH -> {
                    // A path is an island or a guard, never both (what a forbid protects is no island).
                    if (!islands.remove(rel)) {
                        guarded.remove(rel);
                    }
                }
            }
        }
        return new Outcome(applied, failed);
    }

    /** True while the project's mounts are read-only (islands aside). */
    public synchronized boolean readOnly() {
        return readOnly;
    }

    /** What a forbid protects, mounted read-only now. */
    public synchronized List<String> guarded() {
        return List.copyOf(guarded);
    }

    /** The islands attached now. */
    public synchronized List<String> islands() {
        return List.copyOf(islands);
    }

    private void atEveryName(MountChange.Kind kind, String rel, List<MountChange> out) {
        for (String name : names) {
            out.add(new MountChange(kind, rel.isEmpty() ? name : name + "/" + rel));
        }
    }
}
