package dev.tether.kernel.bpf;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Per-CPU maps hold one slot per possible CPU (not online CPU): count them as the kernel does. */
public final class PossibleCpus {
    private PossibleCpus() {}

    public static int count() {
        try {
            return parse(Files.readString(Path.of("/sys/devices/system/cpu/possible")));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read /sys/devices/system/cpu/possible", e);
        }
    }

    /** Parses a CPU list such as "0-3,5,7-8" and returns highest + 1. */
    static int parse(String list) {
        int max = -1;
        for (String part : list.strip().split(",")) {
            if (part.isEmpty()) {
                continue;
            }
            int dash = part.indexOf('-');
            int hi = Integer.parseInt(dash < 0 ? part : part.substring(dash + 1));
            max = Math.max(max, hi);
        }
        if (max < 0) {
            throw new IllegalArgumentException("empty CPU list: " + list);
        }
        return max + 1;
    }
}
