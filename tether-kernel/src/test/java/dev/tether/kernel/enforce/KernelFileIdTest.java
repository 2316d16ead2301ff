package dev.tether.kernel.enforce;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.kernel.ffm.LibC;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The kernel's identity of real open files, by statx where the file system allows and by fdinfo, alike. */
class KernelFileIdTest {
    private final LibC libc = LibC.load();
    @TempDir
    Path tmp;

    @Test
    void statxAndFdinfoGiveTheSameIdentity() throws Exception {
        Path file = Files.writeString(tmp.resolve("f"), "x");
        int self = (int) ProcessHandle.current().pid();
        for (Path p : new Path[] {file, Path.of("/bin/sh").toRealPath(), Path.of("/proc/self/status")}) {
            int fd = libc.open(p.toString(), LibC.O_RDONLY);
            try {
                FanotifyGate.Stat st = FanotifyGate.Stat.read(libc, fd, Arena.ofAuto().allocate(LibC.STATX_SIZE, 8));
                assertThat(st).isNotNull();
                assertThat(st.mntId()).as("statx reports the mount (Linux 5.8+)").isPositive();
                FileKey byStatx = new KernelFileId(new ProcFiles(libc)).of(fd, self, st);
                FileKey byFdinfo = new KernelFileId(new ProcFiles(libc)).of(fd, self, null);
                assertThat(byStatx).as(p.toString()).isEqualTo(byFdinfo);
            } finally {
                libc.close(fd);
            }
        }
    }

    @Test
    void mountinfoLinesGiveDeviceAndType() {
        var e = KernelFileId.parse("36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue").orElseThrow();
        assertThat(e.getKey()).isEqualTo(36L);
        assertThat(e.getValue().dev()).isEqualTo(KernelFileId.userDev(98, 0));
        assertThat(e.getValue().type()).isEqualTo("ext3");
        // no optional fields; a mount point with an escaped blank
        var o = KernelFileId.parse("512 30 0:64 / /var/lib/a\\040b rw,relatime - overlay overlay rw,lowerdir=/l").orElseThrow();
        assertThat(o.getValue().type()).isEqualTo("overlay");
        assertThat(KernelFileId.parse("garbage")).isEmpty();
        assertThat(KernelFileId.parse("1 2 x:y / / rw - ext4 /dev/vda rw")).isEmpty();
    }
}
