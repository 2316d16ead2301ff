package dev.tether.kernel.enforce;

import dev.tether.kernel.ffm.LibC;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
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

    /**
     * From the file's first bytes ({@code head}), reading the rest only when the program headers or
     * the loader's name lie beyond them (for common executables they do not: one read in all).
     */
    static Optional<String> of(LibC libc, int fd, ExecutableHead head) {
        byte[] h = head.bytes();
        if (h.length < 52) {
            return Optional.empty();
        }
        ByteBuffer hdr = ByteBuffer.wrap(h).order(ByteOrder.LITTLE_ENDIAN);
        if (hdr.getInt(0) != 0x464c457f) { // "\x7fELF" little-endian
            return Optional.empty();
        }
        boolean is64 = h[4] == 2;
        if (is64 && h.length < 64) {
            return Optional.empty();
        }
        long phoff = is64 ? hdr.getLong(32) : Integer.toUnsignedLong(hdr.getInt(28));
        int phentsize = Short.toUnsignedInt(hdr.getShort(is64 ? 54 : 42));
        int phnum = Short.toUnsignedInt(hdr.getShort(is64 ? 56 : 44));
        if (phentsize < (is64 ? 56 : 32) || phnum > 512 || phoff < 0) {
            return Optional.empty();
        }
        ByteBuffer ph = bytesAt(libc, fd, h, phoff, phentsize * phnum);
        if (ph == null) {
            return Optional.empty();
        }
        for (int i = 0; i < phnum; i++) {
            int base = i * phentsize;
            if (ph.getInt(base) != PT_INTERP) {
                continue;
            }
            long off = is64 ? ph.getLong(base + 8) : Integer.toUnsignedLong(ph.getInt(base + 4));
            long size = is64 ? ph.getLong(base + 32) : Integer.toUnsignedLong(ph.getInt(base + 16));
            if (size <= 1 || size > MAX_INTERP || off < 0) {
                return Optional.empty();
            }
            ByteBuffer s = bytesAt(libc, fd, h, off, (int) size);
            if (s == null) {
                return Optional.empty();
            }
            int len = 0;
            while (len < size && s.get(len) != 0) {
                len++;
            }
            byte[] name = new byte[len];
            s.get(0, name);
            return Optional.of(new String(name, StandardCharsets.UTF_8));
        }
        return Optional.empty();
    }

    /** {@code size} bytes at {@code offset}: from the head when it holds them, else read; null when the file is shorter. */
    private static ByteBuffer bytesAt(LibC libc, int fd, byte[] head, long offset, int size) {
        if (size <= head.length && offset <= head.length - size) {
            return ByteBuffer.wrap(head, (int) offset, size).slice().order(ByteOrder.LITTLE_ENDIAN);
        }
        try (Arena a = Arena.ofConfined()) {
            MemorySegment seg = a.allocate(size);
            if (libc.pread(fd, seg, size, offset) != size) {
                return null;
            }
            return ByteBuffer.wrap(seg.toArray(ValueLayout.JAVA_BYTE)).order(ByteOrder.LITTLE_ENDIAN);
        }
    }
}
