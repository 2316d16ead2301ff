package dev.tether.policy;

import dev.tether.policy.compile.CompiledSnapshot;
import dev.tether.policy.principals.PrincipalDirectory;
import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The policy in force, swapped atomically on reload. A new version is linted and compiled in
 * full before it replaces the current snapshot; a version with errors is reported to listeners
 * and the last good snapshot stays in force. Deciding threads just call {@link #current()}.
 */
public final class PolicyHolder implements AutoCloseable {
    /** What a reload did. */
    public sealed interface Reload {
        /** The snapshot in force after the reload. */
        PolicySnapshot current();
    }

    /** The new version is in force. */
    public record Applied(PolicySnapshot current, List<Finding> warnings) implements Reload {
        public Applied {
            warnings = List.copyOf(warnings);
        }
    }

    /** The new version was refused; {@code current} is the previous, still in force. */
    public record Kept(PolicySnapshot current, List<Finding> errors) implements Reload {
        public Kept {
            errors = List.copyOf(errors);
        }
    }

    /** Debounce for file events: editors often write a file in several steps. */
    static final long SETTLE_MILLIS = 20;
    /**
     * The longest a burst of writes can defer a reload: a file rewritten more often than every
     * {@link #SETTLE_MILLIS} (a script, a sync tool, a reload storm) would otherwise never settle,
     * and the policy in force would fall arbitrarily far behind the file.
     */
    static final long MAX_SETTLE_MILLIS = 100;

    private final Path policyFile;
    private final Path principalsFile;
    private final Object lock = new Object();
    private volatile PolicySnapshot current;
    private long generation;
    private final List<Consumer<Reload>> listeners = new CopyOnWriteArrayList<>();
    private WatchService watcher;
    private Thread watchThread;
    /** The last version the watcher read that was refused (reported once, not again): the watch thread's only. */
    private String lastRefused;

    private PolicyHolder(Path policyFile, Path principalsFile, PolicySnapshot initial) {
        this.policyFile = policyFile;
        this.principalsFile = principalsFile;
        this.current = initial;
        this.generation = initial.generation();
    }

    /**
     * Loads a policy file (and optional principals file) and holds it. Fails if the first load
     * is refused: there is no previous version to fall back to, and running without a policy
     * would not be failing closed.
     */
    public static PolicyHolder open(Path policyFile, Path principalsFile) throws PolicyRejectedException {
        LoadResult r = PolicyLoader.load(policyFile, principalsFile, 1);
        return switch (r) {
            case LoadResult.Loaded l -> new PolicyHolder(policyFile, principalsFile, l.snapshot());
            case LoadResult.Rejected rej -> throw new PolicyRejectedException(rej.errors());
        };
    }

    /** Holds a snapshot that has no file behind it; {@link #replace} still works. */
    public static PolicyHolder of(PolicySnapshot snapshot) {
        return new PolicyHolder(null, null, snapshot);
    }

    public PolicySnapshot current() {
        return current;
    }

    /** The policy file, or null for a holder made with {@link #of}. */
    public Path policyFile() {
        return policyFile;
    }

    /** Adds a listener called (on the reloading thread) after every reload attempt. */
    public void addListener(Consumer<Reload> listener) {
        listeners.add(Objects.requireNonNull(listener));
    }

    public void removeListener(Consumer<Reload> listener) {
        listeners.remove(listener);
    }

    /**
     * A listener that prints each reload to {@code out}: the generation put in force with its
     * warnings, or the refused version's errors and which generation stays in force.
     */
    public static Consumer<Reload> printingTo(java.io.PrintStream out) {
        return r -> {
            switch (r) {
                case Applied a -> {
                    out.println("tether: policy " + a.current().sourceName() + " reloaded (generation "
                            + a.current().generation() + ")");
                    a.warnings().forEach(f -> out.println(f.render()));
                }
                case Kept k -> {
                    out.println("tether: policy change refused; generation " + k.current().generation()
                            + " stays in force");
                    k.errors().forEach(f -> out.println(f.render()));
                }
            }
        };
    }

    /** Re-reads the files and swaps in the new version if it loads. */
    public Reload reload() {
        if (policyFile == null) {
            return new Applied(current, List.of());
        }
        Reload outcome;
        synchronized (lock) {
            LoadResult r = PolicyLoader.load(policyFile, principalsFile, generation + 1);
            outcome = apply(r);
        }
        notifyListeners(outcome);
        return outcome;
    }

    /**
     * Replaces the policy text (e.g. from the policy editor). The text is compiled first; only if
     * it loads is it written to the policy file (atomically) and put in force. A refused text
     * changes nothing.
     */
    public Reload replace(String text) {
        Reload outcome;
        synchronized (lock) {
            PrincipalDirectory dir = current instanceof CompiledSnapshot cs ? cs.directory() : PrincipalDirectory.EMPTY;
            String name = policyFile == null ? current.sourceName() : policyFile.toString();
            LoadResult r = PolicyLoader.parse(text, name, dir, generation + 1);
            if (r instanceof LoadResult.Loaded && policyFile != null) {
                try {
                    PolicyFileWriter.replace(policyFile, text);
                } catch (IOException e) {
                    Finding f = new Finding("TP001", Severity.ERROR, name, 1, 1, "",
                            "could not write the policy file: " + e.getMessage(), "");
                    outcome = new Kept(current, List.of(f));
                    notifyListeners(outcome);
                    return outcome;
                }
            }
            outcome = apply(r);
        }
        notifyListeners(outcome);
        return outcome;
    }

    private Reload apply(LoadResult r) {
        return switch (r) {
            case LoadResult.Loaded l -> {
                // compile the new version for everyone the old one served before it goes live,
                // so no enforcement path waits for a first-use compile after a reload
                if (current instanceof CompiledSnapshot old && l.snapshot() instanceof CompiledSnapshot fresh) {
                    fresh.prepare(old.principalsSeen());
                }
                generation++;
                current = l.snapshot();
                yield new Applied(current, l.warnings());
            }
            case LoadResult.Rejected rej -> new Kept(current, rej.errors());
        };
    }

    private void notifyListeners(Reload outcome) {
        for (Consumer<Reload> l : listeners) {
            try {
                l.accept(outcome);
            } catch (RuntimeException e) {
                System.err.println("tether: policy reload listener failed: " + e);
            }
        }
    }

    /**
     * Starts watching the policy (and principals) file; every change is reloaded. Watching the
     * directories rather than the files sees editors that replace a file by renaming.
     */
    public void watch() throws IOException {
        if (policyFile == null) {
            throw new IllegalStateException("this holder has no policy file to watch");
        }
        synchronized (lock) {
            if (watcher != null) {
                return;
            }
            watcher = FileSystems.getDefault().newWatchService();
            Set<Path> dirs = new HashSet<>();
            Set<Path> names = new HashSet<>();
            for (Path p : principalsFile == null ? List.of(policyFile) : List.of(policyFile, principalsFile)) {
                Path abs = p.toAbsolutePath();
                dirs.add(abs.getParent());
                names.add(abs.getFileName());
            }
            for (Path d : dirs) {
                d.register(watcher, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_MODIFY,
                        StandardWatchEventKinds.ENTRY_DELETE);
            }
            WatchService ws = watcher;
            watchThread = Thread.ofPlatform().daemon().name("tether-policy-watch").start(() -> watchLoop(ws, names));
        }
    }

    private void watchLoop(WatchService ws, Set<Path> names) {
        try {
            while (true) {
                WatchKey key = ws.take();
                boolean relevant = drain(key, names);
                // settle: let the writer finish, and fold a burst of events into one reload (bounded)
                long settleUntil = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(MAX_SETTLE_MILLIS);
                WatchKey more;
                while (System.nanoTime() < settleUntil && (more = ws.poll(SETTLE_MILLIS, TimeUnit.MILLISECONDS)) != null) {
                    relevant |= drain(more, names);
                }
                if (!relevant) {
                    continue;
                }
                fileChanged(PolicyLoader.read(policyFile).text());
            }
        } catch (InterruptedException | ClosedWatchServiceException e) {
            // closing
        }
    }

    /**
     * What the watcher does with the version of the policy file it just read ({@code text}; null
     * when it could not be read, which a reload then reports): nothing if it is the version in
     * force (our own {@link #replace}, a touch) or the version last refused (already reported);
     * otherwise it loads exactly that text. Loading what was read, not the file again, matters
     * under a stream of writes: the file may hold another version by then, and a watcher that
     * remembered one version but put another in force would afterwards skip both as "seen" (a
     * reload storm between two versions then stopped after its first reloads).
     */
    Optional<Reload> fileChanged(String text) {
        if (text != null && principalsFile == null
                && (text.equals(current.sourceText()) || text.equals(lastRefused))) {
            return Optional.empty();
        }
        Reload outcome;
        if (text == null) {
            outcome = reload();
        } else {
            synchronized (lock) {
                outcome = apply(PolicyLoader.load(text, policyFile, principalsFile, generation + 1));
            }
            notifyListeners(outcome);
        }
        lastRefused = outcome instanceof Kept && text != null ? text : null;
        return Optional.of(outcome);
    }

    private static boolean drain(WatchKey key, Set<Path> names) {
        boolean relevant = false;
        for (WatchEvent<?> ev : key.pollEvents()) {
            if (ev.kind() == StandardWatchEventKinds.OVERFLOW || names.contains((Path) ev.context())) {
                relevant = true;
            }
        }
        key.reset();
        return relevant;
    }

    /** Stops watching. Idempotent. */
    @Override
    public void close() {
        synchronized (lock) {
            if (watcher != null) {
                try {
                    watcher.close();
                } catch (IOException e) {
                    // nothing to do
                }
                watcher = null;
            }
            if (watchThread != null) {
                watchThread.interrupt();
                watchThread = null;
            }
        }
    }
}
