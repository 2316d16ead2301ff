package dev.tether.sandbox.oci;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The hard resource limits this process has, which are the most a container may ask for when
 * the engine lacks CAP_SYS_RESOURCE (as on these hosts).
 */
public record HostLimits(long nofile, long nproc) {
    private static final long NOFILE_CAP = 1 << 20;
    /**
     * podman 4.3 starts conmon (and so runc) with RLIMIT_NPROC 32768 whatever this process has
     * (measured: 32768 works, 40000 fails with EPERM), so a container cannot ask for more.
     */
    private static final long NPROC_CAP = 32768;

    public static HostLimits ofThisProcess() {
        try {
            return parse(Files.readString(Path.of("/proc/self/limits")));
        } catch (IOException e) {
            return new HostLimits(1024, 4096);
        }
    }

    static HostLimits parse(String limits) {
        long nofile = 1024;
        long nproc = 4096;
        for (String line : limits.lines().toList()) {
            if (line.startsWith("Max open files")) {
                nofile = hard(line, nofile, NOFILE_CAP);
            } else if (line.startsWith("Max processes")) {
                nproc = hard(line, nproc, NPROC_CAP);
            }
        }
        return new HostLimits(nofile, nproc);
    }

    private static long hard(String line, long fallback, long cap) {
        // "Max open files            20000                20000                files"
        String[] f = line.substring(26).trim().split("\\s+");
        if (f.length < 2) {
            return fallback;
        }
        if (f[1].equals("unlimited")) {
            return cap;
        }
        try {
            return Math.min(Long.parseLong(f[1]), cap);
        } catch (NumberFormatException e) {
            return fallback;
        }
    }
}
