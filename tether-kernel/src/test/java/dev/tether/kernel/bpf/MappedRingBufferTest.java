package dev.tether.kernel.bpf;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The reader against a ring laid out in Java memory exactly as the kernel lays it out (positions,
 * 8-byte record headers with BUSY/DISCARD bits, data mapped twice): ordering, uncommitted and
 * discarded records, wrap-around and the consumer position it publishes.
 */
class MappedRingBufferTest {
    private static final long SIZE = 256;

    /** The kernel side of a ring: a producer writing records as bpf_ringbuf_reserve/submit do. */
    private static final class FakeKernelRing {
        final MemorySegment consumerPos;
        final MemorySegment producerPos;
        final MemorySegment data;
        long produced;

        FakeKernelRing(Arena a) {
            consumerPos = a.allocate(8, 8);
            producerPos = a.allocate(8, 8);
            data = a.allocate(2 * SIZE, 8);
        }

        /** Writes both copies of the byte, as the double mapping shows it. */
        void put(long pos, byte b) {
            long off = pos & (SIZE - 1);
            data.set(ValueLayout.JAVA_BYTE, off, b);
            data.set(ValueLayout.JAVA_BYTE, off + SIZE, b);
        }

        void putInt(long pos, int v) {
            for (int i = 0; i < 4; i++) {
                put(pos + i, (byte) (v >>> (8 * i)));
            }
        }

        /** Reserves and fills a record; returns its position. */
        long write(byte[] payload, int bits) {
            long pos = produced;
            putInt(pos, payload.length | bits);
            putInt(pos + 4, 0);
            for (int i = 0; i < payload.length; i++) {
                put(pos + 8 + i, payload[i]);
            }
            produced += (payload.length + 8 + 7) & ~7L;
            producerPos.set(ValueLayout.JAVA_LONG, 0, produced);
            return pos;
        }

        void commit(long pos, int len) {
            putInt(pos, len);
        }

        long consumer() {
            return consumerPos.get(ValueLayout.JAVA_LONG, 0);
        }

        MappedRingBuffer reader() {
            return new MappedRingBuffer(null, null, null, consumerPos, producerPos, data, SIZE);
        }
    }

    private static List<String> drain(MappedRingBuffer r, int max) {
        List<String> got = new ArrayList<>();
        r.drain(rec -> got.add(new String(rec.toArray(ValueLayout.JAVA_BYTE))), max);
        return got;
    }

    @Test
    void handsOverCommittedRecordsInOrderAndFreesTheirSpace() {
        try (Arena a = Arena.ofConfined()) {
            FakeKernelRing k = new FakeKernelRing(a);
            MappedRingBuffer r = k.reader();
            k.write("one".getBytes(), 0);
            k.write("second".getBytes(), 0);
            assertThat(drain(r, 100)).containsExactly("one", "second");
            assertThat(k.consumer()).isEqualTo(16 + 16).isEqualTo(k.produced);
            assertThat(drain(r, 100)).isEmpty();
        }
    }

    @Test
    void stopsAtARecordStillBeingWrittenAndResumesOnceCommitted() {
        try (Arena a = Arena.ofConfined()) {
            FakeKernelRing k = new FakeKernelRing(a);
            MappedRingBuffer r = k.reader();
            k.write("a".getBytes(), 0);
            long busy = k.write("bb".getBytes(), MappedRingBuffer.BUSY_BIT);
            k.write("c".getBytes(), 0);
            assertThat(drain(r, 100)).containsExactly("a");
            assertThat(k.consumer()).isEqualTo(busy);
            k.commit(busy, 2);
            assertThat(drain(r, 100)).containsExactly("bb", "c");
        }
    }

    @Test
    void skipsDiscardedRecords() {
        try (Arena a = Arena.ofConfined()) {
            FakeKernelRing k = new FakeKernelRing(a);
            MappedRingBuffer r = k.reader();
            k.write("gone".getBytes(), MappedRingBuffer.DISCARD_BIT);
            k.write("kept".getBytes(), 0);
            assertThat(drain(r, 100)).containsExactly("kept");
            assertThat(k.consumer()).isEqualTo(k.produced);
        }
    }

    @Test
    void readsARecordThatWrapsAroundTheEndInOnePiece() {
        try (Arena a = Arena.ofConfined()) {
            FakeKernelRing k = new FakeKernelRing(a);
            MappedRingBuffer r = k.reader();
            byte[] filler = new byte[(int) SIZE - 8 - 24];
            k.write(filler, 0);
            drain(r, 100);
            String wrapped = "0123456789abcdefghijklmnopqrstuvwxyz"; // starts 16 bytes before the end
            k.write(wrapped.getBytes(), 0);
            assertThat(drain(r, 100)).containsExactly(wrapped);
            for (int i = 0; i < 20; i++) {
                k.write(("r" + i).getBytes(), 0);
                assertThat(drain(r, 100)).containsExactly("r" + i);
            }
        }
    }

    @Test
    void respectsTheBatchLimit() {
        try (Arena a = Arena.ofConfined()) {
            FakeKernelRing k = new FakeKernelRing(a);
            MappedRingBuffer r = k.reader();
            for (int i = 0; i < 5; i++) {
                k.write(("" + i).getBytes(), 0);
            }
            assertThat(drain(r, 2)).containsExactly("0", "1");
            assertThat(drain(r, 10)).containsExactly("2", "3", "4");
        }
    }

    @Test
    void aNonsensicalLengthSkipsToTheProducerInsteadOfReadingGarbage() {
        try (Arena a = Arena.ofConfined()) {
            FakeKernelRing k = new FakeKernelRing(a);
            MappedRingBuffer r = k.reader();
            long pos = k.write("x".getBytes(), 0);
            k.putInt(pos, 0x0fffffff);
            List<Long> sizes = new ArrayList<>();
            r.drain(rec -> sizes.add(rec.byteSize()), 100);
            assertThat(sizes).containsExactly(0L);
            assertThat(r.corruptSkips()).isEqualTo(1);
            assertThat(k.consumer()).isEqualTo(k.produced);
        }
    }
}
