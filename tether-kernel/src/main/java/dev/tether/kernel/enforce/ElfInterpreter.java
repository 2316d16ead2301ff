package dev.tether.kernel.enforce;

import dev.tether.kernel.ffm.LibC;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * The PT_INTERP of an ELF executable (its dynamic loader), read with pread from the descriptor
 * fanotify handed over: the loader's own exec-open is part of running the program, not a new
 * ProcessExec (the LSM hook bprm_check_security does not see it either).
 */
final class ElfInterpreter {
    private static final int PT_INTERP = 3;
    private static final int MAX_INTERP = 4096;

    private ElfInterpreter() {}

    static Optional<String> of(LibC libc, int fd) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment hdr = a.allocate(64);
            if (libc.pread(fd, hdr, 64, 0) < 52) {
                return Optional.empty();
            }
            if (hdr.get(ValueLayout.JAVA_INT_UNALIGNED, 0) != 0x464c457f) { // "\x7fELF" little-endian
                return Optional.empty();
            }
            boolean is64 = hdr.get(ValueLayout.JAVA_BYTE, 4) == 2;
            long phoff = is64 ? hdr.get(ValueLayout.JAVA_LONG_UNALIGNED, 32) : Integer.toUnsignedLong(hdr.get(ValueLayout.JAVA_INT_UNALIGNED, 28));
            int phentsize = Short.toUnsignedInt(hdr.get(ValueLayout.JAVA_SHORT_UNALIGNED, is64 ? 54 : 42));
            int phnum = Short.toUnsignedInt(hdr.get(ValueLayout.JAVA_SHORT_UNALIGNED, is64 ? 56 : 44));
            if (phentsize < (is64 ? 56 : 32) || phnum > 512) {
                return Optional.empty();
            }
            MemorySegment ph = a.allocate((long) phentsize * phnum);
            if (libc.pread(fd, ph, ph.byteSize(), phoff) != ph.byteSize()) {
                return Optional.empty();
            }
            for (int i = 0; i < phnum; i++) {
                long base = (long) i * phentsize;
                if (ph.get(ValueLayout.JAVA_INT_UNALIGNED, base) != PT_INTERP) {
                    continue;
                }
                long off = is64 ? ph.get(ValueLayout.JAVA_LONG_UNALIGNED, base + 8) : Integer.toUnsignedLong(ph.get(ValueLayout.JAVA_INT_UNALIGNED, base + 4));
                long size = is64 ? ph.get(ValueLayout.JAVA_LONG_UNALIGNED, base + 32) : Integer.toUnsignedLong(ph.get(ValueLayout.JAVA_INT_UNALIGNED, base + 16));
                if (size <= 1 || size > MAX_INTERP) {
                    return Optional.empty();
                }
                MemorySegment s = a.allocate(size);
                if (libc.pread(fd, s, size, off) != size) {
                    return Optional.empty();
                }
                byte[] b = s.toArray(ValueLayout.JAVA_BYTE);
                int len = 0;
                while (len < b.length && b[len] != 0) {
                    len++;
                }
                return Optional.of(new String(b, 0, len, StandardCharsets.UTF_8));
            }
            return Optional.empty();
        }
    }
}
