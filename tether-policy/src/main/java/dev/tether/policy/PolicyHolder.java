package dev.tether.policy;

import dev.tether.policy.compile.CompiledSnapshot;
import dev.tether.policy.principals.PrincipalDirectory;
import dev.tether.policy.watch.FileChangeSource;
import dev.tether.policy.watch.ReloadSettler;
import dev.tether.policy.watch.WatchServiceChangeSource;
import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.Path;
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

    /**
     * The new version is in force.
     *
     * @param watched when the file watcher put it in force: where the time went (for TETHER_TIMINGS)
     */
    public record Applied(PolicySnapshot current, List<Finding> warnings, Optional<WatchTiming> watched)
            implements Reload {
        public Applied {
            warnings = List.copyOf(warnings);
            Objects.requireNonNull(watched);
        }

        public Applied(PolicySnapshot current, List<Finding> warnings) {
            this(current, warnings, Optional.empty());
        }
    }

    /**
     * A watched reload's timeline ({@link System#nanoTime} values): the first change of the file
     * seen, the wait for the writer over, the file read, the new version compiled and in force
     * in the holder (listeners then apply it to their layers).
     */
    public record WatchTiming(long seenNanos, long settledNanos, long readNanos, long compiledNanos) {
        WatchTiming(long seenNanos, long settledNanos, long readNanos) {
            this(seenNanos, settledNanos, readNanos, readNanos);
        }

        WatchTiming compiled(long nanos) {
            return new WatchTiming(seenNanos, settledNanos, readNanos, nanos);
        }
    }

    /** The new version was refused; {@code current} is the previous, still in force. */
    public record Kept(PolicySnapshot current, List<Finding> errors) implements Reload {
        public Kept {
            errors = List.copyOf(errors);
        }
    }

    /**
     * Debounce for changes that may be under way (not for a write known complete): editors and
     * shells often write a file in several steps.
     */
    public static final long SETTLE_MILLIS = 20;
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
    private FileChangeSource watcher;
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
     * Starts watching the policy (and principals) file with Java's WatchService; every change is
     * reloaded once it settled ({@link #watch(FileChangeSource.Factory)}).
     */
    public void watch() throws IOException {
        watch(WatchServiceChangeSource::open);
    }

    /**
     * Starts watching the policy (and principals) file with the given source; every change is
     * reloaded. A write the source knows is complete (closed after writing, renamed into place)
     * is reloaded at once; any other change waits {@link #SETTLE_MILLIS} of quiet (at most
     * {@link #MAX_SETTLE_MILLIS}), since a writer such as {@code echo > file} truncates first and
     * an empty file is a valid policy that denies everything. The directories are watched rather
     * than the files, so editors that replace a file by renaming are seen.
     */
    public void watch(FileChangeSource.Factory sources) throws IOException {
        if (policyFile == null) {
            throw new IllegalStateException("this holder has no policy file to watch");
        }
        synchronized (lock) {
            if (watcher != null) {
                return;
            }
            Set<Path> files = new HashSet<>();
            for (Path p : principalsFile == null ? List.of(policyFile) : List.of(policyFile, principalsFile)) {
                files.add(p.toAbsolutePath());
            }
            watcher = sources.open(files);
            FileChangeSource source = watcher;
            watchThread = Thread.ofPlatform().daemon().name("tether-policy-watch").start(() -> watchLoop(source));
        }
    }

    private void watchLoop(FileChangeSource source) {
        ReloadSettler settler = new ReloadSettler(TimeUnit.MILLISECONDS.toNanos(SETTLE_MILLIS),
                TimeUnit.MILLISECONDS.toNanos(MAX_SETTLE_MILLIS));
        try {
            while (true) {
                long wait = settler.waitNanos(System.nanoTime());
                if (wait != 0) {
                    // round up: a wait cut to 0 ms would spin until the deadline
                    long millis = wait == ReloadSettler.IDLE ? -1 : Math.max(1, TimeUnit.NANOSECONDS.toMillis(wait + 999_999));
                    settler.saw(source.next(millis), System.nanoTime());
                    continue;
                }
                // Take what is already queued too, so a burst folds into this reload; a change
                // still under way among it goes back to settling.
                settler.saw(source.next(0), System.nanoTime());
                if (settler.waitNanos(System.nanoTime()) != 0) {
                    continue;
                }
                long seen = settler.firstSeenNanos();
                settler.reloading();
                // Read after taking the changes: a write that lands after this read brings a
                // change of its own, so the last write is always the one left in force.
                long settled = System.nanoTime();
                String text = PolicyLoader.read(policyFile).text();
                fileChanged(text, new WatchTiming(seen, settled, System.nanoTime()));
            }
        } catch (InterruptedException | ClosedWatchServiceException e) {
            // closing
        } catch (IOException | RuntimeException e) {
            System.err.println("tether: the policy file watcher stopped (" + e + "); edits to " + policyFile
                    + " are no longer reloaded");
        } finally {
            source.close();
        }
    }

    Optional<Reload> fileChanged(String text) {
        return fileChanged(text, null);
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
    Optional<Reload> fileChanged(String text, WatchTiming timing) {
        if (text != null && principalsFile == null
                && (text.equals(current.sourceText()) || text.equals(lastRefused))) {
            return Optional.empty();
        }
        Reload outcome;
        if (text == null) {
            outcome = reload();
        } else {
            synchronized (lock) {
                // Again under the lock: our own replace() may have written this very text and be
                // putting it in force right now (the watcher sees a complete write at once), and
                // applying it a second time would bump the generation under the editor's feet.
                if (principalsFile == null && text.equals(current.sourceText())) {
                    return Optional.empty();
                }
                outcome = apply(PolicyLoader.load(text, policyFile, principalsFile, generation + 1));
            }
            if (timing != null && outcome instanceof Applied a) {
                outcome = new Applied(a.current(), a.warnings(), Optional.of(timing.compiled(System.nanoTime())));
            }
            notifyListeners(outcome);
        }
        lastRefused = outcome instanceof Kept && text != null ? text : null;
        return Optional.of(outcome);
    }

    /** Stops watching. Idempotent. */
    @Override
    public void close() {
        synchronized (lock) {
            if (watcher != null) {
                watcher.close();
                watcher = null;
            }
            if (watchThread != null) {
                watchThread.interrupt();
                watchThread = null;
            }
        }
    }
}
