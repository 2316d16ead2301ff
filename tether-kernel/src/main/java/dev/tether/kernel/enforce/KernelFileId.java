package dev.tether.kernel.enforce;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A file's identity as the kernel holds it: its superblock's device number and its inode
 * number, which the exec guard reads from {@code mm->exe_file} in BPF. {@code stat} is not
 * enough: overlayfs (container images) reports the underlying layer's inode and device, not the
 * overlay inode the kernel executes. So: {@code ino} from {@code /proc/self/fdinfo/FD} (the open
 * file's inode) and the device from the {@code major:minor} of its mount ({@code mnt_id}) in the
 * sandbox's own mount table.
 */
final class KernelFileId {
    /** mount id → device: a sandbox's mounts do not change once it runs (read again on a miss). */
    private final java.util.Map<Long, Long> deviceOfMount = new java.util.HashMap<>();
    private final ProcFiles files;

    KernelFileId(ProcFiles files) {
        this.files = files;
    }

    /** @return device in glibc's st_dev encoding (as {@link FileKey} holds it) and the inode number */
    FileKey of(int fd, int tid) throws IOException {
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
        Long dev = deviceOfMount.get(mntId);
        if (dev == null) {
            String mountinfo = java.nio.file.Files.readString(Path.of("/proc", Integer.toString(tid), "mountinfo"));
            for (String line : mountinfo.split("\n")) {
                String[] f = line.split(" ", 4);
                if (f.length >= 3) {
                    String[] mm = f[2].split(":");
                    deviceOfMount.put(Long.parseLong(f[0]), userDev(Long.parseLong(mm[0]), Long.parseLong(mm[1])));
                }
            }
            dev = deviceOfMount.get(mntId);
        }
        if (dev == null) {
            throw new IOException("mount " + mntId + " of the exec'd file is not in the sandbox's mount table");
        }
        return new FileKey(dev, ino);
    }

    /** glibc's makedev, so {@link ExecGuard#kernelDev} turns it back into the kernel's MKDEV. */
    static long userDev(long major, long minor) {
        return ((major & 0xfffL) << 8) | ((major & ~0xfffL) << 32) | (minor & 0xffL) | ((minor & ~0xffL) << 12);
    }
}
