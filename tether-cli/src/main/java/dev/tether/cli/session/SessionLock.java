package dev.tether.cli.session;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;

/**
 * A lock file held for a session's whole life under /run/tether/sessions. The kernel drops the
 * lock when the holder dies however it dies, so a later tether can tell a live session's cgroup
 * from one a crashed tether left behind.
 */
public final class SessionLock implements AutoCloseable {
    public static final Path DIR = Path.of("/run/tether/sessions");

    private final Path file;
    private final FileChannel channel;
    private final FileLock lock;

    private SessionLock(Path file, FileChannel channel, FileLock lock) {
        this.file = file;
        this.channel = channel;
        this.lock = lock;
    }

    public static SessionLock acquire(Path dir, String sessionId) {
        try {
            Files.createDirectories(dir);
            Path file = dir.resolve(sessionId + ".lock");
            FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock lock = ch.tryLock();
            if (lock == null) {
                ch.close();
                throw new IllegalStateException("session " + sessionId + " is already locked");
            }
            ch.write(java.nio.ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes()));
            return new SessionLock(file, ch, lock);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create session lock in " + dir, e);
        }
    }

    /** True when no live process holds the lock of {@code sessionId} (or it never existed). */
    public static boolean isStale(Path dir, String sessionId) {
        Path file = dir.resolve(sessionId + ".lock");
        if (!Files.exists(file)) {
            return true;
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            Optional<FileLock> lock = Optional.ofNullable(ch.tryLock());
            lock.ifPresent(l -> {
                try {
                    l.release();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            return lock.isPresent();
        } catch (java.nio.channels.OverlappingFileLockException e) {
            return false; // held by this very process
        } catch (IOException e) {
            return false;
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
        try {
            lock.release();
            channel.close();
            Files.deleteIfExists(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
