package dev.tether.policy.watch;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * Changes to a few watched files, as a watcher can tell them apart: a write that is known to be
 * complete, or a change that may still be under way. The policy holder reloads at once on the
 * first and lets the second settle. Implementations: {@link WatchServiceChangeSource} (Java's
 * WatchService: it cannot see a writer close the file, so every change is {@link Change#CHANGING})
 * and an inotify one in tether-kernel, which sees {@code IN_CLOSE_WRITE} and {@code IN_MOVED_TO}.
 */
public interface FileChangeSource extends AutoCloseable {
    /** What happened to a watched file. */
    enum Change {
        /**
         * The writer is done: it closed the file after writing, or a complete file was renamed
         * onto the name. What is read now is what it wrote.
         */
        WRITTEN,
        /**
         * The file changed and the writer may not be done (a truncate before the write, a write
         * to a file still open, a create, a delete, lost events): reading now could see half.
         */
        CHANGING
    }

    /**
     * The changes to the watched files, in order, that arrived within {@code timeoutMillis}
     * (0: only those already queued; negative: waits for the first). Empty when none arrived
     * (events about other names in the same directories are dropped).
     *
     * @throws java.nio.file.ClosedWatchServiceException once closed
     */
    List<Change> next(long timeoutMillis) throws InterruptedException, IOException;

    /** Stops watching; a thread waiting in {@link #next} sees the close soon after. Idempotent. */
    @Override
    void close();

    /** Opens a source watching {@code files} (absolute paths; their directories are watched). */
    @FunctionalInterface
    interface Factory {
        FileChangeSource open(Set<Path> files) throws IOException;
    }
}
