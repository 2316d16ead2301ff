package dev.tether.cli.session;

import dev.tether.kernel.ffm.LibC;
import dev.tether.kernel.ffm.NativeCallException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A lock file held for a session's whole life under /run/tether/sessions. The kernel drops the
 * lock when the holder dies however it dies, so a later tether can tell a live session's cgroup
 * from one a crashed tether left behind.
 *
 * <p>The lock is an open-file-description lock ({@code F_OFD_SETLK}), not the JDK's
 * {@code FileLock}: that one is a classic fcntl lock, which belongs to the process and is dropped
 * when the process closes any descriptor of the file, so a probe of a session's lock from the
 * process running that session (a sweep beside the start, or one process running several
 * sessions) released it and made the live session look dead to the next tether, which would kill
 * it. An OFD lock belongs to the descriptor opened here (O_CLOEXEC, so no child keeps it) and is
 * only ever tested, never taken, by probes.
 */
public final class SessionLock implements AutoCloseable {
    public static final Path DIR = Path.of("/run/tether/sessions");

    private final LibC libc;
    private final Path file;
    private final int fd;

    private SessionLock(LibC libc, Path file, int fd) {
        this.libc = libc;
        this.file = file;
        this.fd = fd;
    }

    public static SessionLock acquire(LibC libc, Path dir, String sessionId) {
        Path file = dir.resolve(sessionId + ".lock");
        try {
            Files.createDirectories(dir);
            // The holder's pid, for a human looking at the directory; probes read only the lock.
            Files.writeString(file, ProcessHandle.current().pid() + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create session lock in " + dir, e);
        }
        int fd = libc.open(file.toString(), LibC.O_RDWR);
        boolean locked = false;
        try {
            locked = libc.tryLockOpenFileDescription(fd);
        } finally {
            if (!locked) {
                libc.close(fd);
            }
        }
        if (!locked) {
            throw new IllegalStateException("session " + sessionId + " is already locked");
        }
        return new SessionLock(libc, file, fd);
    }

    /**
     * True when nobody holds the lock of {@code sessionId} (or it never existed). Tests the lock
     * without taking it, so probing a live session's lock, even from the process holding it,
     * leaves it held.
     */
    public static boolean isStale(LibC libc, Path dir, String sessionId) {
        Path file = dir.resolve(sessionId + ".lock");
        if (!Files.exists(file)) {
            return true;
        }
        int fd;
        try {
            fd = libc.open(file.toString(), LibC.O_RDONLY);
        } catch (NativeCallException e) {
            return !Files.exists(file); // removed meanwhile: its session ended; otherwise unreadable: not provably stale
        }
        try {
            return !libc.isLockedElsewhere(fd);
        } catch (NativeCallException e) {
            return false;
        } finally {
            libc.close(fd);
        }
    }

    public static void deleteStale(Path dir, String sessionId) {
        try {
            Files.deleteIfExists(dir.resolve(sessionId + ".lock"));
        } catch (IOException e) {
            // best effort
        }
    }

    @Override
    public void close() {
        libc.close(fd);
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
