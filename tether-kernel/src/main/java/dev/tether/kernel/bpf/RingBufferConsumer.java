package dev.tether.kernel.bpf;

import dev.tether.kernel.event.EventHeader;
import dev.tether.kernel.event.KernelEvent;
import dev.tether.kernel.event.KernelEventDecoder;
import dev.tether.kernel.event.MalformedEvent;
import dev.tether.kernel.ffm.LibBpf;
import dev.tether.kernel.ffm.LibC;
import java.lang.foreign.MemorySegment;
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
    private final KernelEventDecoder decoder;
    private final Consumer<KernelEvent> sink;
    private final AtomicLong delivered = new AtomicLong();
    private final AtomicLong sinkFailures = new AtomicLong();
    private final LibbpfRingPoller poller;

    public RingBufferConsumer(LibBpf libbpf, LibC libc, BpfMap ringMap, KernelEventDecoder decoder,
                              Consumer<KernelEvent> sink, Duration pollInterval) {
        this.decoder = decoder;
        this.sink = sink;
        this.poller = new LibbpfRingPoller(libbpf, libc, ringMap, "tether-kernel-events", pollInterval, this::onRecord);
    }

    public RingBufferConsumer start() {
        poller.start();
        return this;
    }

    private void onRecord(MemorySegment record) {
        KernelEvent event;
        try {
            event = decoder.decode(record);
        } catch (RuntimeException e) {
            event = new MalformedEvent(new EventHeader(0, 0, 0, -1, 0, 0, 0, 0, "", false), (int) record.byteSize(),
                    "decoder failed: " + e);
        }
        try {
            sink.accept(event);
            delivered.incrementAndGet();
        } catch (RuntimeException e) {
            sinkFailures.incrementAndGet();
        }
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
        poller.close();
    }
}
