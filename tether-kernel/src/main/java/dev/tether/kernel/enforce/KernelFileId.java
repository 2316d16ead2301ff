package dev.tether.kernel.enforce;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A file's identity as the kernel holds it: its superblock's device number and its inode
 * number, which the exec guard reads from {@code mm->exe_file} in BPF. {@code stat} is not
 * always that: overlayfs (container images) reports the underlying layer's inode and device, not
 * the overlay inode the kernel executes. So, except on file systems known to report it (ext4,
 * xfs, tmpfs: checked against the mount's device too): {@code ino} from
 * {@code /proc/self/fdinfo/FD} (the open file's inode) and the device from the
 * {@code major:minor} of its mount ({@code mnt_id}) in the sandbox's own mount table.
 */
final class KernelFileId {
    /**
     * File systems whose {@code stat} reports the kernel's own identity (generic_fillattr: the
     * superblock's device and the inode's number). Not overlayfs (the layer's inode), not btrfs
     * (a subvolume's anonymous device).
     */
    private static final java.util.Set<String> STAT_IS_KERNEL_ID = java.util.Set.of("ext2", "ext3", "ext4", "xfs", "tmpfs");

    record Mount(long dev, String type) {}

    /** mount id → device and type: a sandbox's mounts do not change once it runs (read again on a miss). */
    private final java.util.Map<Long, Mount> mounts = new java.util.HashMap<>();
    private final ProcFiles files;

    KernelFileId(ProcFiles files) {
        this.files = files;
    }

    /**
     * @param st the file's statx, when taken (its mount and identity spare the fdinfo read on file
     *           systems where stat reports the kernel's identity)
     * @return device in glibc's st_dev encoding (as {@link FileKey} holds it) and the inode number
     */
    FileKey of(int fd, int tid, FanotifyGate.Stat st) throws IOException {
        if (st != null && st.mntId() >= 0) {
            Mount m = mount(st.mntId(), tid);
            if (m != null && STAT_IS_KERNEL_ID.contains(m.type()) && m.dev() == st.key().device()) {
                return st.key();
            }
        }
        String info = files.read("/proc/self/fdinfo/" + fd);
        long ino = -1;
        long mntId = -1;
        for (String line : info.split("\n")) {
            if (line.startsWith("ino:")) {
                ino = Long.parseLong(line.substring(4).strip());
            } else if (line.startsWith("mnt_id:")) {
                mntId = Long.parseLong(line.substring(7).strip());
            }
        }
        if (ino < 0 || mntId < 0) {
            throw new IOException("fdinfo of the exec'd file has no ino/mnt_id");
        }
        Mount m = mount(mntId, tid);
        if (m == null) {
            throw new IOException("mount " + mntId + " of the exec'd file is not in the sandbox's mount table");
        }
        return new FileKey(m.dev(), ino);
    }

    private Mount mount(long mntId, int tid) throws IOException {
        Mount m = mounts.get(mntId);
        if (m == null) {
            String mountinfo = java.nio.file.Files.readString(Path.of("/proc", Integer.toString(tid), "mountinfo"));
            for (String line : mountinfo.split("\n")) {
                parse(line).ifPresent(e -> mounts.put(e.getKey(), e.getValue()));
            }
            m = mounts.get(mntId);
        }
        return m;
    }

    /** One mountinfo line: "ID PARENT MAJOR:MINOR ROOT POINT OPTIONS [OPTIONAL...] - TYPE SOURCE SUPER". */
    static java.util.Optional<java.util.Map.Entry<Long, Mount>> parse(String line) {
        String[] f = line.split(" ");
        int dash = java.util.Arrays.asList(f).indexOf("-");
        if (f.length < 3 || dash < 0 || dash + 1 >= f.length) {
            return java.util.Optional.empty();
        }
        String[] mm = f[2].split(":");
        if (mm.length != 2) {
            return java.util.Optional.empty();
        }
        try {
            return java.util.Optional.of(java.util.Map.entry(Long.parseLong(f[0]),
                    new Mount(userDev(Long.parseLong(mm[0]), Long.parseLong(mm[1])), f[dash + 1])));
        } catch (NumberFormatException e) {
            return java.util.Optional.empty();
        }
    }

    /** glibc's makedev, so {@link ExecGuard#kernelDev} turns it back into the kernel's MKDEV. */
    static long userDev(long major, long minor) {
        return ((major & 0xfffL) << 8) | ((major & ~0xfffL) << 32) | (minor & 0xffL) | ((minor & ~0xffL) << 12);
    }
}
