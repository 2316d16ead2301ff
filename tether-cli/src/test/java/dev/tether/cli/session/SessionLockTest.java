package dev.tether.cli.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tether.kernel.ffm.LibC;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SessionLockTest {
    private final LibC libc = LibC.load();
    @TempDir Path dir;

    /** Whether a process other than this one can take a classic fcntl lock on {@code file} (python's lockf). */
    private static boolean anotherProcessCanLock(Path file) throws Exception {
        Process p = new ProcessBuilder("python3", "-c",
                "import fcntl, os, sys\nfd = os.open(sys.argv[1], os.O_WRONLY)\n"
                        + "try:\n    fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)\nexcept OSError:\n    sys.exit(1)",
                file.toString()).redirectErrorStream(true).start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return p.exitValue() == 0;
    }

    @Test
    void probingTheLockFromTheProcessHoldingItLeavesItHeld() throws Exception {
        // The hazard the OFD lock removes: with a classic fcntl lock (the JDK's FileLock) the
        // probe's close released the holder's lock, since both belonged to this process.
        String id = "20261128-0600-abcdef";
        Path file = dir.resolve(id + ".lock");
        try (SessionLock lock = SessionLock.acquire(libc, dir, id)) {
            assertThat(anotherProcessCanLock(file)).as("held").isFalse();
            assertThat(SessionLock.isStale(libc, dir, id)).isFalse();
            // Any other descriptor of the file opened and closed in this process, as the JDK's lock would be.
            try (FileChannel other = FileChannel.open(file, StandardOpenOption.WRITE)) {
                assertThat(other.size()).isPositive();
            }
            assertThat(anotherProcessCanLock(file)).as("still held after the probe and another close").isFalse();
            assertThat(SessionLock.isStale(libc, dir, id)).isFalse();
        }
        assertThat(file).doesNotExist();
        assertThat(SessionLock.isStale(libc, dir, id)).isTrue();
    }

    @Test
    void aSecondHolderInTheSameProcessIsRefusedAndAReleasedLockIsStale() throws Exception {
        String id = "20261128-0600-twiceb";
        Path file = dir.resolve(id + ".lock");
        SessionLock first = SessionLock.acquire(libc, dir, id);
        assertThatThrownBy(() -> SessionLock.acquire(libc, dir, id)).hasMessageContaining("already locked");
        assertThat(SessionLock.isStale(libc, dir, id)).isFalse();
        first.close();
        Files.writeString(file, "left behind\n"); // as after a crash: the file stays, nobody holds it
        assertThat(SessionLock.isStale(libc, dir, id)).isTrue();
        assertThat(anotherProcessCanLock(file)).isTrue();
    }

    @Test
    void aLockHeldByAnotherProcessIsNotStale() throws Exception {
        String id = "20261128-0600-otherp";
        Path file = dir.resolve(id + ".lock");
        Files.writeString(file, "0\n");
        Process holder = new ProcessBuilder("python3", "-c",
                "import fcntl, os, sys\nfd = os.open(sys.argv[1], os.O_WRONLY)\nfcntl.lockf(fd, fcntl.LOCK_EX)\n"
                        + "print('locked', flush=True)\nsys.stdin.read()",
                file.toString()).start();
        try {
            assertThat(new String(holder.getInputStream().readNBytes(7))).isEqualTo("locked\n");
            assertThat(SessionLock.isStale(libc, dir, id)).isFalse();
            assertThatThrownBy(() -> SessionLock.acquire(libc, dir, id)).hasMessageContaining("already locked");
        } finally {
            holder.destroyForcibly().waitFor(60, TimeUnit.SECONDS);
        }
        assertThat(SessionLock.isStale(libc, dir, id)).as("the holder died").isTrue();
    }

    @Test
    void theSweeperNeverCallsItsOwnSessionStaleAndFindsAnUnheldOne() throws Exception {
        String own = "20261128-0600-ownabc";
        String dead = "20261128-0500-deadab";
        Files.writeString(dir.resolve(dead + ".lock"), "999999\n");
        try (SessionLock lock = SessionLock.acquire(libc, dir, own)) {
            assertThat(StaleSessionSweeper.isStaleSession(libc, own, dir, own)).isFalse();
            assertThat(StaleSessionSweeper.isStaleSession(libc, own, dir, null)).as("probed: held").isFalse();
            assertThat(anotherProcessCanLock(dir.resolve(own + ".lock"))).as("own lock still held").isFalse();
            assertThat(StaleSessionSweeper.isStaleSession(libc, dead, dir, own)).isTrue();
            assertThat(StaleSessionSweeper.isStaleSession(libc, "not-a-session", dir, own)).isFalse();
        }
    }
}
