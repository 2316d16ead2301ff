package dev.tether.kernel.bpf;

import dev.tether.kernel.event.EventHeader;
import dev.tether.kernel.event.KernelEvent;
import dev.tether.kernel.event.KernelEventDecoder;
import dev.tether.kernel.event.MalformedEvent;
import dev.tether.kernel.ffm.LibBpf;
import java.lang.foreign.Arena;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * Drains the BPF event ring buffer on one platform thread through libbpf's ring_buffer, with one
 * upcall from C per record (kept to measure against {@link MappedRingBufferConsumer}). Producers submit without waking us
 * (see ringbuf.h), so the loop polls with a short timeout and then consumes whatever is there; a
 * producer that finds the ring filling up forces a wakeup. Records are decoded and handed to the
 * sink on this thread; the sink must not block (the event bus drops from slow subscribers).
 */
public final class RingBufferConsumer implements EventRingConsumer {
    private final LibBpf libbpf;
    private final KernelEventDecoder decoder;
    private final Consumer<KernelEvent> sink;
    private final int pollMillis;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment ring;
    private final AtomicLong delivered = new AtomicLong();
    private final AtomicLong sinkFailures = new AtomicLong();
    private final Thread thread;
    private volatile boolean running = true;

    public RingBufferConsumer(LibBpf libbpf, BpfMap ringMap, KernelEventDecoder decoder,
                              Consumer<KernelEvent> sink, Duration pollInterval) {
        this.libbpf = libbpf;
        this.decoder = decoder;
        this.sink = sink;
        this.pollMillis = (int) Math.max(1, pollInterval.toMillis());
        try {
            MethodHandle target = MethodHandles.lookup().bind(this, "onSample",
                    MethodType.methodType(int.class, MemorySegment.class, MemorySegment.class, long.class));
            MemorySegment stub = Linker.nativeLinker().upcallStub(target, LibBpf.sampleCallbackDescriptor(), arena);
            this.ring = libbpf.ringBufferNew(ringMap.fd(), stub);
        } catch (NoSuchMethodException | IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
        this.thread = Thread.ofPlatform().name("tether-kernel-events").daemon(true).unstarted(this::loop);
    }

    public RingBufferConsumer start() {
        thread.start();
        return this;
    }

    private void loop() {
        while (running) {
            int rc = libbpf.ringBufferPoll(ring, pollMillis);
            if (rc < 0 && rc != -4 /* EINTR */) {
                break;
            }
            libbpf.ringBufferConsume(ring);
        }
    }

    /** Called by libbpf for each record; must never throw back into C. */
    @SuppressWarnings("unused")
    private int onSample(MemorySegment ctx, MemorySegment data, long size) {
        KernelEvent event;
        try {
            event = decoder.decode(data.reinterpret(size));
        } catch (RuntimeException e) {
            event = new MalformedEvent(new EventHeader(0, 0, 0, -1, 0, 0, 0, 0, "", false), (int) size,
                    "decoder failed: " + e);
        }
        try {
            sink.accept(event);
            delivered.incrementAndGet();
        } catch (RuntimeException e) {
            sinkFailures.incrementAndGet();
        }
        return 0;
    }

    @Override
    public long delivered() {
        return delivered.get();
    }

    @Override
    public long sinkFailures() {
        return sinkFailures.get();
    }

    /** Stops the loop, drains what the kernel already wrote, and frees the ring. */
    @Override
    public void close() {
        if (!running) {
            return;
        }
        running = false;
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
        arena.close();
    }
}
