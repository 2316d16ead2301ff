package dev.tether.kernel.cgroup;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class MountTableTest {
    // Taken from a hybrid-cgroup Debian host (cgroup2 at /sys/fs/cgroup/unified), plus an escaped path.
    private static final String HYBRID = """
            22 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw
            25 22 0:21 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw
            30 25 0:26 / /sys/fs/cgroup rw,relatime shared:9 - tmpfs tmpfs rw,mode=755
            31 30 0:27 / /sys/fs/cgroup/unified rw,relatime shared:10 - cgroup2 cgroup2 rw
            32 30 0:28 / /sys/fs/cgroup/cpu rw,relatime shared:11 - cgroup cgroup rw,cpu
            40 22 0:40 / /mnt/with\\040space rw,relatime - tmpfs none rw
            41 22 0:41 /sub /srv/bound rw,relatime - cgroup2 cgroup2 rw
            """;

    @Test
    void findsTheCgroup2RootMountOnAHybridHost() {
        MountTable t = MountTable.parse(HYBRID);
        Cgroup2Hierarchy h = Cgroup2Hierarchy.find(t).orElseThrow();
        assertThat(h.mountPoint()).isEqualTo(Path.of("/sys/fs/cgroup/unified"));
        assertThat(h.mountRoot()).isEqualTo("/");
    }

    @Test
    void unescapesOctalSequencesInPaths() {
        MountTable t = MountTable.parse(HYBRID);
        assertThat(t.at(Path.of("/mnt/with space"))).isPresent();
    }

    @Test
    void levelCountsFromTheHierarchyRootEvenForABindMountOfASubtree() {
        Cgroup2Hierarchy root = new Cgroup2Hierarchy(Path.of("/sys/fs/cgroup/unified"), "/");
        assertThat(root.levelOf(Path.of("/sys/fs/cgroup/unified"))).isZero();
        assertThat(root.levelOf(Path.of("/sys/fs/cgroup/unified/tether/abc"))).isEqualTo(2);
        Cgroup2Hierarchy sub = new Cgroup2Hierarchy(Path.of("/srv/bound"), "/sub");
        assertThat(sub.levelOf(Path.of("/srv/bound/tether/x"))).isEqualTo(3);
    }

    @Test
    void skipsMalformedLinesInsteadOfMisreadingThem() {
        MountTable t = MountTable.parse("garbage\n31 30 0:27 / /x rw - cgroup2 cgroup2 rw\n1 2 3\n");
        assertThat(t.mounts()).hasSize(1);
        assertThat(t.ofType("cgroup2")).hasSize(1);
    }
}
