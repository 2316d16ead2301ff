package dev.tether.kernel.bpf;

import dev.tether.kernel.ffm.LibC;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

/**
 * A BPF ring buffer map read directly through its memory mapping, with no call into C per record
 * (libbpf's ring_buffer__consume makes one upcall per record, which caps a Java consumer at a
 * few hundred thousand records a second).
 *
 * <p>The kernel's layout (kernel/bpf/ringbuf.c): page 0 holds the consumer position, which only
 * user space writes; page 1 the producer position; then the data pages, mapped twice in a row so
 * a record that wraps around the end is still contiguous. Each record starts with an 8-byte
 * header whose first word is its length plus two bits: BUSY while the producer is still writing
 * it, DISCARD when it was reserved and then dropped. Positions only grow; a position modulo the
 * ring size is an offset into the data.
 *
 * <p>Single reader: one thread drains; it alone moves the consumer position.
 */
public final class MappedRingBuffer implements AutoCloseable {
    static final int BUSY_BIT = 1 << 31;
    static final int DISCARD_BIT = 1 << 30;
    static final int HEADER_BYTES = 8;

    private static final VarHandle LONG = ValueLayout.JAVA_LONG.varHandle();
    private static final VarHandle INT = ValueLayout.JAVA_INT.varHandle();

    /** Receives one record's bytes; the segment is valid only during the call. */
    @FunctionalInterface
    public interface RecordHandler {
        void onRecord(MemorySegment record);
    }

    private final LibC libc;
    private final MemorySegment consumerMapping;
    private final MemorySegment producerMapping;
    private final MemorySegment consumerPos;
    private final MemorySegment producerPos;
    private final MemorySegment data;
    private final long size;
    private final long mask;
    private long consumed;
    private long corruptSkips;

    MappedRingBuffer(LibC libc, MemorySegment consumerMapping, MemorySegment producerMapping,
                     MemorySegment consumerPos, MemorySegment producerPos, MemorySegment data, long size) {
        if (Long.bitCount(size) != 1 || data.byteSize() < 2 * size) {
            throw new IllegalArgumentException("ring size must be a power of two with its data mapped twice");
        }
        this.libc = libc;
        this.consumerMapping = consumerMapping;
        this.producerMapping = producerMapping;
        this.consumerPos = consumerPos;
        this.producerPos = producerPos;
        this.data = data;
        this.size = size;
        this.mask = size - 1;
        this.consumed = (long) LONG.getAcquire(consumerPos, 0L);
    }

    /** Maps the ring buffer map {@code mapFd} of {@code size} bytes (its max_entries). */
    public static MappedRingBuffer map(LibC libc, int mapFd, long size) {
        long page = libc.pageSize();
        MemorySegment cons = libc.mmap(page, LibC.PROT_READ | LibC.PROT_WRITE, LibC.MAP_SHARED, mapFd, 0);
        MemorySegment prod;
        try {
            prod = libc.mmap(page + 2 * size, LibC.PROT_READ, LibC.MAP_SHARED, mapFd, page);
        } catch (RuntimeException e) {
            libc.munmap(cons);
            throw e;
        }
        return new MappedRingBuffer(libc, cons, prod, cons, prod, prod.asSlice(page, 2 * size), size);
    }

    /**
     * Hands up to {@code maxRecords} committed records, in order, to {@code handler}, stopping at
     * the first one still being written.
     *
     * @return records handed over (discarded ones are skipped and not counted)
     */
    public int drain(RecordHandler handler, int maxRecords) {
        int handed = 0;
        long cons = consumed;
        long prod = (long) LONG.getAcquire(producerPos, 0L);
        while (handed < maxRecords) {
            if (cons >= prod) {
                prod = (long) LONG.getAcquire(producerPos, 0L);
                if (cons >= prod) {
                    break;
                }
            }
            long off = cons & mask;
            int header = (int) INT.getAcquire(data, off);
            if ((header & BUSY_BIT) != 0) {
                break; // reserved but not yet committed: later records wait for it, as the kernel expects
            }
            long len = header & ~(BUSY_BIT | DISCARD_BIT);
            if (len > size - HEADER_BYTES) {
                // Cannot happen with a sane kernel; skip to the producer rather than read garbage.
                corruptSkips++;
                handler.onRecord(MemorySegment.NULL);
                cons = prod;
                handed++;
                LONG.setRelease(consumerPos, 0L, cons);
                break;
            }
            if ((header & DISCARD_BIT) == 0) {
                handler.onRecord(data.asSlice(off + HEADER_BYTES, len));
                handed++;
            }
            cons += (len + HEADER_BYTES + 7) & ~7L;
            // Free the space now, record by record, so producers never wait on a long batch.
            LONG.setRelease(consumerPos, 0L, cons);
        }
        consumed = cons;
        return handed;
    }

    /** Bytes committed or in flight that the reader has not consumed yet. */
    public long pendingBytes() {
        return (long) LONG.getAcquire(producerPos, 0L) - consumed;
    }

    /** Times a record header made no sense and the reader skipped ahead (never seen on a sane kernel). */
    public long corruptSkips() {
        return corruptSkips;
    }

    @Override
    public void close() {
        if (libc != null) {
            libc.munmap(producerMapping);
            libc.munmap(consumerMapping);
        }
    }
}
