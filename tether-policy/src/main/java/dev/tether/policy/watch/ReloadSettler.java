package dev.tether.policy.watch;

import java.util.List;

/**
 * When the watcher reloads, given the changes seen and the time (passed in, so the rule is
 * tested without clocks). A change known complete ({@link FileChangeSource.Change#WRITTEN} as the
 * last change seen) is reloaded at once; a change that may be under way waits for
 * {@code settleNanos} of quiet, but never more than {@code maxSettleNanos} after the first
 * change of the burst (a file rewritten without pause would otherwise never be reloaded).
 * Changes seen while waiting fold into the one reload. Not thread-safe: the watch thread's own.
 */
public final class ReloadSettler {
    /** {@link #waitNanos}: nothing is pending; wait for the next change however long. */
    public static final long IDLE = -1;

    private final long settleNanos;
    private final long maxSettleNanos;
    private boolean pending;
    private boolean underWay;
    private long firstNanos;
    private long lastNanos;

    public ReloadSettler(long settleNanos, long maxSettleNanos) {
        if (settleNanos < 0 || maxSettleNanos < settleNanos) {
            throw new IllegalArgumentException("settle " + settleNanos + " ns, at most " + maxSettleNanos + " ns");
        }
        this.settleNanos = settleNanos;
        this.maxSettleNanos = maxSettleNanos;
    }

    /** Notes changes seen at {@code nowNanos} (an empty list changes nothing: a timeout). */
    public void saw(List<FileChangeSource.Change> changes, long nowNanos) {
        if (changes.isEmpty()) {
            return;
        }
        if (!pending) {
            pending = true;
            firstNanos = nowNanos;
        }
        lastNanos = nowNanos;
        // Only the last change counts: a complete write followed by a truncate is under way again.
        underWay = changes.getLast() == FileChangeSource.Change.CHANGING;
    }

    /** How long to wait for more changes before reloading: 0 reloads now, {@link #IDLE} when nothing is pending. */
    public long waitNanos(long nowNanos) {
        if (!pending) {
            return IDLE;
        }
        if (!underWay) {
            return 0;
        }
        long deadline = Math.min(lastNanos + settleNanos, firstNanos + maxSettleNanos);
        return Math.max(0, deadline - nowNanos);
    }

    /** When the first change of the pending burst was seen (meaningful while one is pending). */
    public long firstSeenNanos() {
        return firstNanos;
    }

    /** The reload is starting: what was pending is taken (changes from now on start a new burst). */
    public void reloading() {
        pending = false;
        underWay = false;
    }
}
