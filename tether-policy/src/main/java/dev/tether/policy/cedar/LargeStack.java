package dev.tether.policy.cedar;

import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Runs work on a fresh thread with a large stack. Cedar's native parser and validator recurse
 * per nesting level and a native stack overflow takes the whole JVM down; the lexer bounds
 * nesting, and this thread gives every call into cedar-java an order of magnitude more stack
 * than those bounds need, whatever thread (virtual or small-stack) asked for the load.
 */
public final class LargeStack {
    static final long STACK_BYTES = 256L * 1024 * 1024;

    private LargeStack() {}

    public static <T> T call(Callable<T> work) {
        AtomicReference<T> result = new AtomicReference<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread t = new Thread(null, () -> {
            try {
                result.set(work.call());
            } catch (Throwable e) {
                failure.set(e);
            }
        }, "tether-policy-cedar", STACK_BYTES);
        t.setDaemon(true);
        t.start();
        boolean interrupted = false;
        while (true) {
            try {
                t.join();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        Throwable f = failure.get();
        if (f instanceof RuntimeException re) {
            throw re;
        }
        if (f instanceof Error err) {
            throw err;
        }
        if (f != null) {
            throw new IllegalStateException(f);
        }
        return result.get();
    }
}
