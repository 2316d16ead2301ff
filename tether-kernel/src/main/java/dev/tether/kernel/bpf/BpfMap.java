package dev.tether.kernel.bpf;

import dev.tether.kernel.ffm.LibBpf;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** A created BPF map, addressed by its fd; keys and values are raw bytes laid out as in C. */
public record BpfMap(LibBpf libbpf, String name, int fd) {

    /** The BPF_F_* flags the kernel created this map with. */
    public int createdFlags() {
        return libbpf.createdMapFlags(fd);
    }

    public void put(MemorySegment key, MemorySegment value) {
        libbpf.mapUpdate(fd, key, value, LibBpf.BPF_ANY);
    }

    public boolean get(MemorySegment key, MemorySegment value) {
        return libbpf.mapLookup(fd, key, value);
    }

    public boolean delete(MemorySegment key) {
        return libbpf.mapDelete(fd, key);
    }

    public void putLongToInt(long key, int value) {
        try (Arena a = Arena.ofConfined()) {
            put(a.allocateFrom(ValueLayout.JAVA_LONG, key), a.allocateFrom(ValueLayout.JAVA_INT, value));
        }
    }

    public boolean deleteLong(long key) {
        try (Arena a = Arena.ofConfined()) {
            return delete(a.allocateFrom(ValueLayout.JAVA_LONG, key));
        }
    }

    public void putIntToInt(int key, int value) {
        try (Arena a = Arena.ofConfined()) {
            put(a.allocateFrom(ValueLayout.JAVA_INT, key), a.allocateFrom(ValueLayout.JAVA_INT, value));
        }
    }

    /** Sum of a per-CPU u64 array slot over all possible CPUs. */
    public long sumPerCpuLong(int key, int possibleCpus) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment value = a.allocate(8L * possibleCpus, 8);
            if (!get(a.allocateFrom(ValueLayout.JAVA_INT, key), value)) {
                return 0;
            }
            long sum = 0;
            for (int cpu = 0; cpu < possibleCpus; cpu++) {
                sum += value.getAtIndex(ValueLayout.JAVA_LONG, cpu);
            }
            return sum;
        }
    }
}
