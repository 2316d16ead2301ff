package dev.tether.cli.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tether.cli.UserError;
import java.io.IOException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class ConcurrentStepsTest {
    /** A resource a step makes, counting its closes. */
    private static final class Resource implements AutoCloseable {
        final AtomicInteger closes = new AtomicInteger();

        @Override
        public void close() {
            closes.incrementAndGet();
        }
    }

    @Test
    void joinHandsOverTheResultAndCloseLeavesItToTheCaller() {
        Resource made = new Resource();
        try (ConcurrentSteps steps = new ConcurrentSteps("test-")) {
            assertThat(steps.join(steps.fork(() -> made))).isSameAs(made);
        }
        assertThat(made.closes).hasValue(0);
    }

    @Test
    void closeClosesWhatNobodyJoinedWhenASiblingFailed() {
        Resource orphan = new Resource();
        UserError failure = new UserError("the policy has errors", 2);
        assertThatThrownBy(() -> {
            try (ConcurrentSteps steps = new ConcurrentSteps("test-")) {
                var failing = steps.fork(() -> {
                    throw failure;
                });
                steps.fork(() -> orphan);
                steps.join(failing);
            }
        }).isSameAs(failure);
        assertThat(orphan.closes).hasValue(1);
    }

    @Test
    void closeWaitsForAStepStillRunning() throws InterruptedException {
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicBoolean finished = new AtomicBoolean();
        Resource late = new Resource();
        Thread releaser = Thread.ofPlatform().start(() -> {
            try {
                started.await();
                release.countDown();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        try (ConcurrentSteps steps = new ConcurrentSteps("test-")) {
            steps.fork(() -> {
                started.countDown();
                release.await();
                finished.set(true);
                return late;
            });
        }
        // close returned only after the step ended, and closed what it made
        assertThat(finished).isTrue();
        assertThat(late.closes).hasValue(1);
        releaser.join();
    }

    @Test
    void aCheckedFailureIsReportedWithItsCause() {
        IOException cause = new IOException("CA key has mode rw-r--r--");
        try (ConcurrentSteps steps = new ConcurrentSteps("test-")) {
            var step = steps.fork(() -> {
                throw cause;
            });
            assertThatThrownBy(() -> steps.join(step)).isInstanceOf(IllegalStateException.class).hasCause(cause);
        }
    }
}
