package dev.tether.kernel.event;

import static dev.tether.kernel.event.KernelEventLayouts.*;
import static dev.tether.kernel.event.KernelRecords.utf8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.kernel.event.KernelRecords.Slot;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * Whatever bytes arrive, the decoder returns an event and the mapper an audit event: random
 * records, valid records with random bytes overwritten, and every truncation of valid records.
 * The seeds are fixed so a failure reproduces.
 */
class KernelEventFuzzTest {
    private final KernelEventDecoder decoder = new KernelEventDecoder(0);
    private final KernelEventMapper mapper = new KernelEventMapper(slot -> new KernelEventMapper.Attribution("s", "a"));

    private void check(MemorySegment record) {
        KernelEvent e = decoder.decode(record);
        assertThat(e).isNotNull();
        assertThat(mapper.map(e)).isNotNull();
    }

    private static List<Function<Arena, MemorySegment>> validRecords() {
        return List.of(
                a -> KernelRecords.exec(a, utf8("/usr/bin/git"), utf8("git\0push\0"), 2,
                        KernelRecords.components("/usr/bin/git"), KernelRecords.components("/w"), 0),
                a -> KernelRecords.file(a, FileOp.RENAME, 316, 0, 0, 0, -100, Slot.raw("a"), Slot.base("/w"),
                        Slot.raw("b"), Slot.base("/w")),
                a -> KernelRecords.file(a, FileOp.OPEN, 257, 3, 0101, 0644, -100, Slot.raw("/x/y"),
                        Slot.opened("/x/y"), Slot.absent(), Slot.absent()),
                a -> KernelRecords.net(a, NetOp.CONNECT, 0, NetEvent.AF_INET6, 1, 6, new byte[16], 443, new byte[0], 0),
                a -> KernelRecords.net(a, NetOp.BIND, 0, NetEvent.AF_UNIX, 1, 0, new byte[16], 0, utf8("/s"), 0));
    }

    @Test
    void randomBytesNeverEscapeAsAnException() {
        Random rnd = new Random(0x7e7be4L);
        int[] kinds = {EVENT_EXEC, EVENT_FORK, EVENT_EXIT, EVENT_FILE, EVENT_NET, 0, 99};
        try (Arena a = Arena.ofConfined()) {
            for (int i = 0; i < 20_000; i++) {
                int size = rnd.nextInt(i % 10 == 0 ? 30_000 : 600);
                MemorySegment r = a.allocate(Math.max(size, 1)).asSlice(0, size);
                byte[] junk = new byte[size];
                rnd.nextBytes(junk);
                MemorySegment.copy(junk, 0, r, ValueLayout.JAVA_BYTE, 0, size);
                if (size >= EVENT_HEADER.byteSize()) {
                    r.set(ValueLayout.JAVA_INT_UNALIGNED, HDR_KIND, kinds[rnd.nextInt(kinds.length)]);
                }
                check(r);
            }
        }
    }

    @Test
    void corruptedValidRecordsNeverEscapeAsAnException() {
        Random rnd = new Random(42);
        try (Arena a = Arena.ofConfined()) {
            for (Function<Arena, MemorySegment> make : validRecords()) {
                for (int i = 0; i < 5_000; i++) {
                    MemorySegment r = make.apply(a);
                    int flips = 1 + rnd.nextInt(8);
                    for (int f = 0; f < flips; f++) {
                        long at = EVENT_HEADER.byteSize() + rnd.nextInt((int) (r.byteSize() - EVENT_HEADER.byteSize()));
                        r.set(ValueLayout.JAVA_BYTE, at, (byte) rnd.nextInt(256));
                    }
                    check(r);
                }
            }
        }
    }

    @Test
    void everyTruncationOfAValidRecordIsHandled() {
        try (Arena a = Arena.ofConfined()) {
            for (Function<Arena, MemorySegment> make : validRecords()) {
                MemorySegment r = make.apply(a);
                for (long n = 0; n <= r.byteSize(); n++) {
                    check(r.asSlice(0, n));
                }
            }
        }
    }
}
