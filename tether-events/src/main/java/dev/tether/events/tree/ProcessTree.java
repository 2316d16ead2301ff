package dev.tether.events.tree;

import dev.tether.events.Event;
import dev.tether.events.EventKind;
import dev.tether.events.ExecDetail;
import dev.tether.events.ExitDetail;
import dev.tether.events.ForkDetail;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Who started whom in one session, built from its {@code ProcessFork}, {@code ProcessExec} and
 * {@code ProcessExit} events, so any event can be traced back to the command the agent ran. Pids
 * are reused, so a process is an <em>incarnation</em>: a pid between its fork and its exit. Feed
 * events in time order; not thread-safe.
 */
public final class ProcessTree {
    /** Bounds a chain walk: a pid-reuse tangle must not loop. */
    private static final int MAX_DEPTH = 4096;

    private record Image(long timeNs, String exe, List<String> argv) {}

    private static final class Incarnation {
        final int pid;
        final int ppid;
        final long startNs;
        long endNs = Long.MAX_VALUE;
        final Image inherited;
        final List<Image> images = new ArrayList<>(1);

        Incarnation(int pid, int ppid, long startNs, Image inherited) {
            this.pid = pid;
            this.ppid = ppid;
            this.startNs = startNs;
            this.inherited = inherited;
        }

        Image imageAt(long t) {
            Image current = inherited;
            for (Image i : images) {
                if (i.timeNs <= t) {
                    current = i;
                }
            }
            return current;
        }
    }

    private final Map<Integer, List<Incarnation>> byPid = new HashMap<>();

    public static ProcessTree of(Iterable<Event> events) {
        ProcessTree t = new ProcessTree();
        for (Event e : events) {
            t.apply(e);
        }
        return t;
    }

    /** Takes in one event; anything but fork/exec/exit is ignored. */
    public void apply(Event e) {
        switch (e.kind()) {
            case PROCESS_FORK -> {
                if (e.detail() instanceof ForkDetail f && f.childPid() > 0) {
                    Incarnation parent = at(e.pid(), e.timeNs());
                    Image image = parent == null ? null : parent.imageAt(e.timeNs());
                    if (parent == null && e.pid() > 0) {
                        // First sight of the parent: remember it so the chain goes on through it.
                        Incarnation p = new Incarnation(e.pid(), e.ppid(), e.timeNs(), null);
                        add(p);
                    }
                    Incarnation child = new Incarnation(f.childPid(), e.pid(), e.timeNs(), image);
                    add(child);
                }
            }
            case PROCESS_EXEC -> {
                if (e.pid() <= 0 || e.errno() != null && e.errno() != 0) {
                    return; // a failed exec leaves the old image running
                }
                Incarnation p = at(e.pid(), e.timeNs());
                if (p == null) {
                    p = new Incarnation(e.pid(), e.ppid(), e.timeNs(), null);
                    add(p);
                }
                List<String> argv = e.detail() instanceof ExecDetail x ? x.argv() : List.of();
                String exe = e.resource() != null ? e.resource() : e.exe();
                p.images.add(new Image(e.timeNs(), exe, argv));
            }
            case PROCESS_EXIT -> {
                Incarnation p = at(e.pid(), e.timeNs());
                if (p != null && e.detail() instanceof ExitDetail) {
                    p.endNs = e.timeNs();
                }
            }
            default -> {}
        }
    }

    /**
     * The chain from {@code pid} (as it was at {@code timeNs}) up through its ancestors to the first
     * process the session knows: element 0 is {@code pid} itself, the last is the outermost
     * ancestor recorded (normally the command the agent ran). Empty when the pid is unknown at
     * that time.
     */
    public List<ProcessStep> ancestry(int pid, long timeNs) {
        List<ProcessStep> chain = new ArrayList<>();
        Set<Incarnation> seen = new HashSet<>();
        Incarnation p = at(pid, timeNs);
        long t = timeNs;
        while (p != null && seen.add(p) && chain.size() < MAX_DEPTH) {
            Image image = p.imageAt(t);
            chain.add(new ProcessStep(p.pid, p.ppid, image == null ? null : image.exe,
                    image == null ? List.of() : image.argv, p.startNs,
                    image == null || image == p.inherited ? null : image.timeNs));
            // The parent as it was when it forked this process.
            t = p.startNs;
            p = p.ppid > 0 ? at(p.ppid, t) : null;
        }
        return chain;
    }

    /** Number of process incarnations known. */
    public int size() {
        return byPid.values().stream().mapToInt(List::size).sum();
    }

    private void add(Incarnation i) {
        byPid.computeIfAbsent(i.pid, k -> new ArrayList<>(1)).add(i);
    }

    /** The incarnation of {@code pid} alive at {@code t}: the latest one started at or before t and not yet exited. */
    private Incarnation at(int pid, long t) {
        List<Incarnation> list = byPid.get(pid);
        if (list == null) {
            return null;
        }
        Incarnation best = null;
        for (Incarnation i : list) {
            if (i.startNs <= t && t <= i.endNs && (best == null || i.startNs >= best.startNs)) {
                best = i;
            }
        }
        return best;
    }

    static boolean isProcessKind(EventKind k) {
        return k == EventKind.PROCESS_FORK || k == EventKind.PROCESS_EXEC || k == EventKind.PROCESS_EXIT;
    }
}
