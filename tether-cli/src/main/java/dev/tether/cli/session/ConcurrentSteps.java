package dev.tether.cli.session;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Independent steps of a session's start and stop (loading BPF objects, compiling the policy,
 * reading the CA; draining the monitor and the guards) run on threads of their own so they
 * overlap instead of adding up. Ownership stays as strict
 * as with try-with-resources: {@link #join} hands a task's result to the caller, who closes it;
 * {@link #close} waits for every task (none outlives the scope, so nothing is attached behind the
 * caller's back after it gave up) and closes the results nobody joined, for example when a
 * sibling step failed first. Declare the scope before the resources its results become, so it
 * closes after them. Not for concurrent use: one session's main thread forks and joins.
 */
final class ConcurrentSteps implements AutoCloseable {
    /** A forked step; its result belongs to the scope until {@link #join} hands it over. */
    static final class Task<T> {
        private final Future<T> future;
        private boolean claimed;

        private Task(Future<T> future) {
            this.future = future;
        }
    }

    private final ExecutorService executor;
    private final List<Task<?>> tasks = new ArrayList<>();

    ConcurrentSteps(String threadName) {
        // Platform threads: the steps block in native calls (bpf(2), fanotify) that would pin a virtual thread's carrier.
        this.executor = Executors.newThreadPerTaskExecutor(Thread.ofPlatform().name(threadName, 0).daemon(true).factory());
    }

    <T> Task<T> fork(Callable<T> step) {
        Task<T> task = new Task<>(executor.submit(step));
        tasks.add(task);
        return task;
    }

    /**
     * Waits for the step and returns its result, now the caller's to close. A step's unchecked
     * exception (such as a {@link dev.tether.cli.UserError}) is rethrown as it was thrown.
     */
    <T> T join(Task<T> task) {
        T value = await(task);
        task.claimed = true;
        return value;
    }

    private static <T> T await(Task<T> task) {
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return task.future.get();
                } catch (InterruptedException e) {
                    interrupted = true; // the step cannot be abandoned half done: wait, then pass the interrupt on
                } catch (ExecutionException e) {
                    switch (e.getCause()) {
                        case RuntimeException r -> throw r;
                        case Error r -> throw r;
                        case Throwable t -> throw new IllegalStateException(t.getMessage(), t);
                    }
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public void close() {
        RuntimeException failure = null;
        for (Task<?> task : tasks) {
            Object result;
            try {
                result = await(task);
            } catch (RuntimeException | Error e) {
                continue; // a step that failed owns nothing; its error was (or will be) reported by whoever joined
            }
            if (!task.claimed && result instanceof AutoCloseable unclaimed) {
                try {
                    unclaimed.close();
                } catch (Exception e) {
                    RuntimeException wrapped = e instanceof RuntimeException r ? r : new IllegalStateException(e);
                    if (failure == null) {
                        failure = wrapped;
                    } else {
                        failure.addSuppressed(wrapped);
                    }
                }
            }
        }
        executor.shutdown();
        if (failure != null) {
            throw failure;
        }
    }
}
