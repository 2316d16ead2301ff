package dev.tether.kernel.enforce;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.kernel.ffm.LibC;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** argv read from a real process's memory (this one's, through /proc/self/mem), laid out as a caller might. */
class ProcessMemoryTest {
    private final LibC libc = LibC.load();

    @Test
    void readsStringsSideBySideFarApartAndRunningPastOneRead() throws Exception {
        try (Arena arena = Arena.ofConfined()) {
            // side by side (one read serves them), then one in another allocation, then one longer than a read
            MemorySegment packed = arena.allocate(64);
            long a = put(packed, 0, "git");
            long b = put(packed, 4, "push");
            long c = put(packed, 9, "");
            MemorySegment far = arena.allocate(1 << 20);
            long d = put(far, (1 << 20) - 16, "origin");
            String longArg = "x".repeat(10_000);
            MemorySegment big = arena.allocate(longArg.length() + 1);
            long e = put(big, 0, longArg);
            // a string that starts inside the window read for an earlier one and ends beyond it
            MemorySegment edge = arena.allocate(8192);
            long f = put(edge, 0, "first");
            long g = put(edge, 4090, "crosses-the-4k-window");
            MemorySegment argv = arena.allocate(8 * 8, 8);
            long[] ptrs = {a, b, c, d, e, f, g, 0};
            for (int i = 0; i < ptrs.length; i++) {
                argv.setAtIndex(ValueLayout.JAVA_LONG, i, ptrs[i]);
            }
            int tid = (int) ProcessHandle.current().pid(); // the main thread's memory is the process's
            List<String> read = ProcessMemory.readArgv(new ProcFiles(libc), tid, argv.address());
            assertThat(read).containsExactly("git", "push", "", "origin", longArg, "first", "crosses-the-4k-window");
        }
    }

    private static long put(MemorySegment seg, long offset, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        MemorySegment.copy(b, 0, seg, ValueLayout.JAVA_BYTE, offset, b.length);
        seg.set(ValueLayout.JAVA_BYTE, offset + b.length, (byte) 0);
        return seg.address() + offset;
    }
}
