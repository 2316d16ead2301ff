package dev.tether.kernel.ffm;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The wake-up the poll loops (file gate, ring pollers) use to stop: a thread polling without a
 * timeout returns once another thread signals its eventfd, and still reports its own fd's input.
 */
class PollWakeTest {
    private final LibC libc = LibC.load();

    @Test
    void aSignalEndsAPollThatWouldOtherwiseWaitForever() throws Exception {
        int quiet = libc.eventfd(); // never signalled: never readable
        int wake = libc.eventfd();
        try {
            AtomicReference<Boolean> result = new AtomicReference<>();
            Thread poller = Thread.ofPlatform().start(() -> result.set(libc.pollIn(quiet, wake, -1)));
            libc.signal(wake);
            poller.join(Duration.ofSeconds(30));
            assertThat(poller.isAlive()).as("the poll returned").isFalse();
            assertThat(result.get()).as("woken, not readable").isFalse();
        } finally {
            libc.close(quiet);
            libc.close(wake);
        }
    }

    @Test
    void inputOnTheWatchedFdIsReportedWithTheWakeFdQuiet() {
        int ready = libc.eventfd();
        int wake = libc.eventfd();
        try {
            libc.signal(ready);
            assertThat(libc.pollIn(ready, wake, -1)).isTrue();
            assertThat(libc.pollIn(wake, 0)).as("one fd form: nothing to read").isFalse();
        } finally {
            libc.close(ready);
            libc.close(wake);
        }
    }
}
