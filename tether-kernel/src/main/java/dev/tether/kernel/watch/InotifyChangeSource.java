package dev.tether.kernel.watch;

import dev.tether.kernel.ffm.Errno;
import dev.tether.kernel.ffm.LibC;
import dev.tether.kernel.ffm.NativeCallException;
import dev.tether.policy.watch.FileChangeSource;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Watches files through inotify on their directories, which (unlike Java's WatchService) tells a
 * complete write from one under way: {@code IN_CLOSE_WRITE} (the writer closed the file) and
 * {@code IN_MOVED_TO} (a whole file renamed onto the name, atomically) are
 * {@link FileChangeSource.Change#WRITTEN}; a truncate or write without a close yet, a create, a
 * delete or a lost event queue are {@link FileChangeSource.Change#CHANGING}.
 *
 * <p>The reading thread waits in {@code poll} in short slices, so {@link #close} never has to
 * close the descriptor under it (a closed fd number can be reused by another open at once): the
 * reader closes it when it sees the close, or {@code close} does when no one is reading.
 */
public final class InotifyChangeSource implements FileChangeSource {
    /** The directory events that can change what a watched name holds. */
    static final int MASK = LibC.IN_MODIFY | LibC.IN_ATTRIB | LibC.IN_CLOSE_WRITE | LibC.IN_MOVED_FROM
            | LibC.IN_MOVED_TO | LibC.IN_CREATE | LibC.IN_DELETE | LibC.IN_DELETE_SELF | LibC.IN_MOVE_SELF
            | LibC.IN_ONLYDIR;
    private static final int POLL_SLICE_MILLIS = 100;
    private static final int BUFFER = 64 * 1024;

    private final LibC libc;
    /** watch descriptor → the watched names in that directory */
    private final Map<Integer, Set<String>> namesByWatch;
    private final ReentrantLock reading = new ReentrantLock();
    private final Arena arena = Arena.ofShared();
    private final MemorySegment buffer;
    private volatile boolean closed;
    /** A watched directory went away (its watch was removed): nothing more can be seen. */
    private boolean watchLost;
    private int fd;

    private InotifyChangeSource(LibC libc, int fd, Map<Integer, Set<String>> namesByWatch) {
        this.libc = libc;
        this.fd = fd;
        this.namesByWatch = namesByWatch;
        this.buffer = arena.allocate(BUFFER, 8);
    }

    /** Opens an inotify instance watching the directories of {@code files}. */
    public static InotifyChangeSource open(LibC libc, Set<Path> files) throws IOException {
        Map<Path, Set<String>> byDir = new HashMap<>();
        for (Path f : files) {
            Path abs = f.toAbsolutePath();
            byDir.computeIfAbsent(abs.getParent(), d -> new HashSet<>()).add(abs.getFileName().toString());
        }
        int fd;
        try {
            fd = libc.inotifyInit(LibC.IN_NONBLOCK | LibC.IN_CLOEXEC);
        } catch (NativeCallException e) {
            throw new IOException("inotify: " + e.getMessage(), e);
        }
        Map<Integer, Set<String>> byWatch = new HashMap<>();
        try {
            for (var e : byDir.entrySet()) {
                int wd = libc.inotifyAddWatch(fd, e.getKey().toString(), MASK);
                byWatch.computeIfAbsent(wd, w -> new HashSet<>()).addAll(e.getValue());
            }
        } catch (NativeCallException e) {
            libc.close(fd);
            throw new IOException("inotify: " + e.getMessage(), e);
        }
        byWatch.replaceAll((wd, names) -> Set.copyOf(names));
        return new InotifyChangeSource(libc, fd, Map.copyOf(byWatch));
    }

    @Override
    public List<Change> next(long timeoutMillis) throws InterruptedException, IOException {
        reading.lock();
        try {
            long deadline = timeoutMillis < 0 ? Long.MAX_VALUE : System.nanoTime() + timeoutMillis * 1_000_000;
            while (true) {
                if (closed) {
                    closeFd();
                    throw new ClosedWatchServiceException();
                }
                if (watchLost) {
                    throw new IOException("a watched directory is gone (its inotify watch was removed)");
                }
                if (Thread.interrupted()) {
                    throw new InterruptedException();
                }
                List<Change> out = drain();
                if (!out.isEmpty() || timeoutMillis == 0) {
                    return out;
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return out;
                }
                int slice = (int) Math.min(POLL_SLICE_MILLIS, Math.max(1, (left + 999_999) / 1_000_000));
                libc.pollIn(fd, slice);
            }
        } finally {
            reading.unlock();
            if (closed && reading.tryLock()) {
                try {
                    closeFd();
                } finally {
                    reading.unlock();
                }
            }
        }
    }

    /** Reads every queued event (the fd is non-blocking) and keeps the watched names' changes. */
    private List<Change> drain() throws IOException {
        List<Change> out = new ArrayList<>();
        while (true) {
            long n = libc.read(fd, buffer, BUFFER);
            if (n == -Errno.EAGAIN || n == -Errno.EINTR) {
                return out;
            }
            if (n < 0) {
                throw new IOException("read from inotify: " + Errno.describe((int) -n));
            }
            if (n == 0) {
                return out;
            }
            Parsed p = parse(buffer, n, namesByWatch);
            out.addAll(p.changes());
            watchLost |= p.watchLost();
        }
    }

    /** The changes in {@code length} bytes of inotify events, and whether a watch was removed. */
    record Parsed(List<Change> changes, boolean watchLost) {}

    /** Decodes a read of inotify events (pure: tested without the kernel). */
    static Parsed parse(MemorySegment events, long length, Map<Integer, Set<String>> namesByWatch) {
        List<Change> out = new ArrayList<>();
        boolean lost = false;
        long off = 0;
        while (off + LibC.INOTIFY_EVENT_HEADER <= length) {
            int wd = events.get(ValueLayout.JAVA_INT_UNALIGNED, off);
            int mask = events.get(ValueLayout.JAVA_INT_UNALIGNED, off + 4);
            int len = events.get(ValueLayout.JAVA_INT_UNALIGNED, off + 12);
            long nameAt = off + LibC.INOTIFY_EVENT_HEADER;
            off = nameAt + Integer.toUnsignedLong(len);
            if (off > length) {
                break; // never split by the kernel; a short read would be a bug, not a change
            }
            if ((mask & LibC.IN_Q_OVERFLOW) != 0) {
                out.add(Change.CHANGING); // events were lost: assume a watched file changed
                continue;
            }
            if ((mask & (LibC.IN_IGNORED | LibC.IN_DELETE_SELF | LibC.IN_MOVE_SELF)) != 0) {
                // the directory itself went or moved: the file is gone from its name too
                out.add(Change.CHANGING);
                lost |= (mask & LibC.IN_IGNORED) != 0;
                continue;
            }
            Set<String> names = namesByWatch.get(wd);
            if (names == null || len == 0 || !names.contains(name(events, nameAt, len))) {
                continue;
            }
            out.add((mask & (LibC.IN_CLOSE_WRITE | LibC.IN_MOVED_TO)) != 0 ? Change.WRITTEN : Change.CHANGING);
        }
        return new Parsed(out, lost);
    }

    private static String name(MemorySegment events, long at, int len) {
        int end = 0;
        while (end < len && events.get(ValueLayout.JAVA_BYTE, at + end) != 0) {
            end++;
        }
        byte[] bytes = events.asSlice(at, end).toArray(ValueLayout.JAVA_BYTE);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        closed = true;
        if (reading.tryLock()) {
            try {
                closeFd();
            } finally {
                reading.unlock();
            }
        }
    }

    /** Closes the descriptor and frees the buffer, once; only with {@link #reading} held. */
    private void closeFd() {
        if (fd >= 0) {
            libc.close(fd);
            fd = -1;
            arena.close();
        }
    }
}
