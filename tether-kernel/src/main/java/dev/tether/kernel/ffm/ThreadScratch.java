package dev.tether.kernel.ffm;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;

/**
 * One thread's native scratch for the calls on hot paths: the errno capture area and room for one
 * C string. An {@code Arena.ofConfined()} per call (allocate, then close the session) cost about
 * a microsecond on the file gate's path, which makes ten or more calls per decision. Each owning
 * class keeps one per thread ({@code ThreadLocal} instance field); the errno is read on the same
 * thread right after the call, and a string is only valid until that thread's next call.
 */
final class ThreadScratch {
    private static final int TEXT_BYTES = 4096 + 256;
    private final Arena arena = Arena.ofAuto();
    final MemorySegment callState = arena.allocate(Downcalls.CALL_STATE);
    private final MemorySegment text = arena.allocate(TEXT_BYTES);
    /** Room for one small struct a call fills in (struct pollfd, struct statvfs). */
    final MemorySegment struct = arena.allocate(128, 8);

    /** {@code s} as a NUL-terminated UTF-8 string; a fresh segment when it does not fit the scratch. */
    MemorySegment cString(String s) {
        if (s.length() * 3L + 1 <= TEXT_BYTES) {
            text.setString(0, s, StandardCharsets.UTF_8);
            return text;
        }
        return Arena.ofAuto().allocateFrom(s);
    }

    int errno() {
        return Downcalls.errno(callState);
    }
}
