package dev.tether.kernel.bpf;

import dev.tether.kernel.event.EventHeader;
import dev.tether.kernel.event.KernelEvent;
import dev.tether.kernel.event.KernelEventDecoder;
import dev.tether.kernel.event.MalformedEvent;
import dev.tether.kernel.ffm.LibC;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.function.Consumer;

/**
 * Drains the event ring on one platform thread by reading its mapping ({@link MappedRingBuffer}).
 * Producers submit without waking us (ringbuf.h), so the thread drains until the ring is empty,
 * then waits in poll(2) for at most the poll interval or until a producer that found the ring a
 * quarter full wakes it. Records are decoded and handed to the sink on this thread; the sink must
 * not block (the event bus drops, counted, from slow subscribers).
 */
public final class MappedRingBufferConsumer implements EventRingConsumer {
    private static final int BATCH = 4096;

    private final LibC libc;
    private final MappedRingBuffer ring;
    private final int mapFd;
    private final KernelEventDecoder decoder;
    private final Consumer<KernelEvent> sink;
    private final int pollMillis;
    private final Thread thread;
    private final MappedRingBuffer.RecordHandler handler = this::onRecord;
    private volatile boolean running = true;
    private volatile long delivered;
    private volatile long sinkFailures;
    private long deliveredLocal;
    private long failuresLocal;

    public MappedRingBufferConsumer(LibC libc, BpfMap ringMap, long ringBytes, KernelEventDecoder decoder,
                                    Consumer<KernelEvent> sink, Duration pollInterval) {
        this.libc = libc;
        this.ring = MappedRingBuffer.map(libc, ringMap.fd(), ringBytes);
        this.mapFd = ringMap.fd();
        this.decoder = decoder;
        this.sink = sink;
        this.pollMillis = (int) Math.max(1, pollInterval.toMillis());
        this.thread = Thread.ofPlatform().name("tether-kernel-events").daemon(true).unstarted(this::loop);
    }

    public MappedRingBufferConsumer start() {
        thread.start();
        return this;
    }

    private void loop() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment pollfd = arena.allocate(8, 4);
            MemorySegment callState = LibC.newCallState(arena);
            while (running) {
                if (drainOnce() == 0) {
                    libc.pollOne(pollfd, callState, mapFd, LibC.POLLIN, pollMillis);
                }
            }
        }
    }

    private int drainOnce() {
        int n = ring.drain(handler, BATCH);
        delivered = deliveredLocal;
        sinkFailures = failuresLocal;
        return n;
    }

    private void onRecord(MemorySegment record) {
        KernelEvent event;
        try {
            event = decoder.decode(record);
        } catch (RuntimeException e) {
            // The decoder is written never to throw; this is the last line of defence.
            event = new MalformedEvent(new EventHeader(0, 0, 0, -1, 0, 0, 0, 0, "", false),
                    (int) Math.min(record.byteSize(), Integer.MAX_VALUE), "decoder failed: " + e);
        }
        deliveredLocal++;
        try {
            sink.accept(event);
        } catch (RuntimeException e) {
            failuresLocal++;
        }
    }

    @Override
    public long delivered() {
        return delivered;
    }

    @Override
    public long sinkFailures() {
        return sinkFailures;
    }

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
            return; // never unmap a ring the loop may still read; leaks a mapping in a broken case
        }
        while (drainOnce() > 0) {
            // what the kernel wrote before the programs were detached
        }
        ring.close();
    }
}
