package dev.tether.policy.watch;

import static dev.tether.policy.watch.FileChangeSource.Change.CHANGING;
import static dev.tether.policy.watch.FileChangeSource.Change.WRITTEN;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The settle rule with the clock passed in: no sleeping, no timed assertions. */
class ReloadSettlerTest {
    static final long SETTLE = 20;
    static final long MAX = 100;

    private final ReloadSettler settler = new ReloadSettler(SETTLE, MAX);

    @Test
    void nothingSeenMeansWaitingForTheNextChange() {
        assertThat(settler.waitNanos(0)).isEqualTo(ReloadSettler.IDLE);
        settler.saw(List.of(), 5); // a timeout
        assertThat(settler.waitNanos(5)).isEqualTo(ReloadSettler.IDLE);
    }

    @Test
    void aCompleteWriteIsReloadedAtOnce() {
        settler.saw(List.of(WRITTEN), 1_000);
        assertThat(settler.waitNanos(1_000)).isZero();
        assertThat(settler.firstSeenNanos()).isEqualTo(1_000);
    }

    @Test
    void aTruncateThenWriteThenCloseIsReloadedAtTheClose() {
        // echo > policy: IN_MODIFY (truncate), IN_MODIFY (write), IN_CLOSE_WRITE
        settler.saw(List.of(CHANGING), 0);
        assertThat(settler.waitNanos(0)).isEqualTo(SETTLE);
        settler.saw(List.of(CHANGING), 3);
        assertThat(settler.waitNanos(3)).isEqualTo(SETTLE);
        settler.saw(List.of(WRITTEN), 4);
        assertThat(settler.waitNanos(4)).isZero();
        assertThat(settler.firstSeenNanos()).as("the burst began at the truncate").isZero();
    }

    @Test
    void aChangeUnderWayWaitsForQuiet() {
        settler.saw(List.of(CHANGING), 0);
        assertThat(settler.waitNanos(10)).isEqualTo(10);
        assertThat(settler.waitNanos(SETTLE)).isZero();
        assertThat(settler.waitNanos(SETTLE + 50)).isZero();
    }

    @Test
    void aCompleteWriteFollowedByATruncateIsUnderWayAgain() {
        // Only the last change counts: the file is being rewritten, reading now could see it empty.
        settler.saw(List.of(WRITTEN, CHANGING), 0);
        assertThat(settler.waitNanos(0)).isEqualTo(SETTLE);
    }

    @Test
    void aWriterThatNeverPausesIsReloadedAfterTheLongestSettle() {
        long t = 0;
        settler.saw(List.of(CHANGING), t);
        while (t < MAX - 5) {
            t += 5;
            settler.saw(List.of(CHANGING), t);
            assertThat(settler.waitNanos(t)).isEqualTo(Math.min(SETTLE, MAX - t));
        }
        settler.saw(List.of(CHANGING), MAX);
        assertThat(settler.waitNanos(MAX)).as("bounded by the first change").isZero();
    }

    @Test
    void aReloadStartsANewBurst() {
        settler.saw(List.of(CHANGING), 0);
        settler.saw(List.of(WRITTEN), 7);
        settler.reloading();
        assertThat(settler.waitNanos(8)).isEqualTo(ReloadSettler.IDLE);
        settler.saw(List.of(CHANGING), 500);
        assertThat(settler.firstSeenNanos()).isEqualTo(500);
        assertThat(settler.waitNanos(500)).as("settles from the new burst's start, not the old one's").isEqualTo(SETTLE);
    }

    @Test
    void refusesASettleLongerThanItsBound() {
        assertThatThrownBy(() -> new ReloadSettler(10, 5)).isInstanceOf(IllegalArgumentException.class);
    }
}
