package dev.tether.kernel.cgroup;

import dev.tether.kernel.ffm.LibC;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Mounts bpffs and tracefs where the kernel expects them when the host has not. */
public final class KernelFilesystems {
    public static final Path BPFFS = Path.of("/sys/fs/bpf");
    public static final Path TRACEFS = Path.of("/sys/kernel/tracing");
    private static final long MS_NOSUID = 2;
    private static final long MS_NODEV = 4;
    private static final long MS_NOEXEC = 8;

    private KernelFilesystems() {}

    /** @return what was mounted now (empty when both were present) */
    public static List<String> ensureMounted(LibC libc) {
        MountTable mounts = MountTable.read();
        List<String> done = new ArrayList<>();
        if (mounts.ofType("bpf").stream().noneMatch(m -> m.mountPoint().equals(BPFFS))) {
            mount(libc, "bpf", BPFFS, "bpf");
            done.add("bpffs on " + BPFFS);
        }
        boolean tracefs = mounts.ofType("tracefs").stream().anyMatch(m -> m.mountPoint().equals(TRACEFS));
        if (!tracefs) {
            mount(libc, "tracefs", TRACEFS, "tracefs");
            done.add("tracefs on " + TRACEFS);
        }
        return done;
    }

    private static void mount(LibC libc, String source, Path target, String type) {
        try {
            Files.createDirectories(target);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create mount point " + target, e);
        }
        libc.mount(source, target.toString(), type, MS_NOSUID | MS_NODEV | MS_NOEXEC);
    }
}
