package dev.tether.cli.session;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SessionLockTest {
    @TempDir Path dir;

    /** Whether a process other than this one can take the fcntl lock of {@code file} (python's lockf is fcntl too). */
    private static boolean anotherProcessCanLock(Path file) throws Exception {
        Process p = new ProcessBuilder("python3", "-c",
                "import fcntl, os, sys\nfd = os.open(sys.argv[1], os.O_WRONLY)\n"
                        + "try:\n    fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)\nexcept OSError:\n    sys.exit(1)",
                file.toString()).redirectErrorStream(true).start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return p.exitValue() == 0;
    }

    @Test
    void probingTheLockThisProcessHoldsReleasesIt() throws Exception {
        // Why the sweeper never tries its own session's lock: the probe's close drops the lock
        // (fcntl locks belong to the process and go with any of its descriptors of the file).
        String id = "20261128-0600-abcdef";
        try (SessionLock lock = SessionLock.acquire(dir, id)) {
            assertThat(anotherProcessCanLock(dir.resolve(id + ".lock"))).as("held").isFalse();
            assertThat(SessionLock.isStale(dir, id)).isFalse();
            assertThat(anotherProcessCanLock(dir.resolve(id + ".lock"))).as("released by the probe").isTrue();
        }
    }

    @Test
    void theSweeperLeavesItsOwnSessionsLockUntriedAndFindsAnUnheldOne() throws Exception {
        String own = "20261128-0600-ownabc";
        String dead = "20261128-0500-deadab";
        Files.writeString(dir.resolve(dead + ".lock"), "999999\n");
        try (SessionLock lock = SessionLock.acquire(dir, own)) {
            assertThat(StaleSessionSweeper.isStaleSession(own, dir, own)).isFalse();
            assertThat(anotherProcessCanLock(dir.resolve(own + ".lock"))).as("own lock still held").isFalse();
            assertThat(StaleSessionSweeper.isStaleSession(dead, dir, own)).isTrue();
            assertThat(StaleSessionSweeper.isStaleSession("not-a-session", dir, own)).isFalse();
        }
    }
}
