package dev.tether.kernel.bpf;

import dev.tether.kernel.ffm.LibBpf;
import dev.tether.kernel.ffm.LibC;
import java.lang.foreign.Arena;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.time.Duration;
import java.util.function.Consumer;

/**
 * A BPF ring buffer drained through libbpf's ring_buffer on a platform thread of its own, each
 * record handed to {@code onRecord} by an upcall from C. Producers may submit without a wakeup, so
 * the loop polls with a short timeout and then consumes whatever is there. It waits on libbpf's
 * epoll fd and an eventfd of its own, so {@link #close} wakes it at once instead of waiting out
 * the timeout (a session's stop waited up to 100 ms per guard). A record handler that throws loses
 * that record only: nothing is ever thrown back into C.
 */
public final class LibbpfRingPoller implements AutoCloseable {
    private final LibBpf libbpf;
    private final LibC libc;
    private final int wakeFd;
    private final Consumer<MemorySegment> onRecord;
    private final int pollMillis;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment ring;
    private final Thread thread;
    private volatile boolean running = true;

    public LibbpfRingPoller(LibBpf libbpf, LibC libc, BpfMap ringMap, String threadName, Duration pollInterval,
                            Consumer<MemorySegment> onRecord) {
        this.libbpf = libbpf;
        this.libc = libc;
        this.onRecord = onRecord;
        this.pollMillis = (int) Math.max(1, pollInterval.toMillis());
        try {
            MethodHandle target = MethodHandles.lookup().bind(this, "onSample",
                    MethodType.methodType(int.class, MemorySegment.class, MemorySegment.class, long.class));
            MemorySegment stub = Linker.nativeLinker().upcallStub(target, LibBpf.sampleCallbackDescriptor(), arena);
            this.ring = libbpf.ringBufferNew(ringMap.fd(), stub);
        } catch (NoSuchMethodException | IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
        try {
            this.wakeFd = libc.eventfd();
        } catch (RuntimeException e) {
            libbpf.ringBufferFree(ring);
            throw e;
        }
        this.thread = Thread.ofPlatform().name(threadName).daemon(true).unstarted(this::loop);
    }

    public LibbpfRingPoller start() {
        thread.start();
        return this;
    }

    private void loop() {
        int ready = libbpf.ringBufferEpollFd(ring);
        while (running) {
            libc.pollIn(ready, wakeFd, pollMillis);
            if (libbpf.ringBufferConsume(ring) < 0) {
                break;
            }
        }
    }

    @SuppressWarnings("unused")
    private int onSample(MemorySegment ctx, MemorySegment data, long size) {
        try {
            onRecord.accept(data.reinterpret(size));
        } catch (RuntimeException ignored) {
            // never throw into C; the handler counts its own failures where it needs to
        }
        return 0;
    }

    /** Stops the loop, drains what the kernel already wrote, and frees the ring. */
    @Override
    public void close() {
        if (!running) {
            return;
        }
        running = false;
        libc.signal(wakeFd);
        try {
            thread.join(Duration.ofSeconds(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (thread.isAlive()) {
            return; // never free a ring the loop may still read; leaks one ring in a broken case
        }
        libbpf.ringBufferConsume(ring);
        libbpf.ringBufferFree(ring);
        libc.close(wakeFd);
        arena.close();
    }
}
