package dev.tether.sandbox.limits;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SessionLimitsTest {
    @TempDir Path tmp;

    @Test
    void sizesAsDockerWritesThem() {
        assertThat(SessionLimits.parseSize("512m")).isEqualTo(512L << 20);
        assertThat(SessionLimits.parseSize("8G")).isEqualTo(8L << 30);
        assertThat(SessionLimits.parseSize("1.5g")).isEqualTo(3L << 29);
        assertThat(SessionLimits.parseSize("64MiB")).isEqualTo(64L << 20);
        assertThat(SessionLimits.parseSize("4096")).isEqualTo(4096);
        assertThat(SessionLimits.parseSize("0")).isZero();
        assertThat(SessionLimits.parseSize("unlimited")).isZero();
        assertThatThrownBy(() -> SessionLimits.parseSize("-1g")).hasMessageContaining("not a size");
        assertThatThrownBy(() -> SessionLimits.parseSize("lots")).hasMessageContaining("not a size");
        assertThatThrownBy(() -> SessionLimits.parseSize("99999999t")).hasMessageContaining("too large");
    }

    @Test
    void taskCounts() {
        assertThat(SessionLimits.parsePids("4096")).isEqualTo(4096);
        assertThat(SessionLimits.parsePids("unlimited")).isZero();
        assertThat(SessionLimits.parsePids("-1")).isZero();
        assertThatThrownBy(() -> SessionLimits.parsePids("many")).hasMessageContaining("not a number of tasks");
        assertThatThrownBy(() -> new SessionLimits(-2, 0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void defaultMemoryIsHalfOfPhysicalMemory() throws Exception {
        Path meminfo = tmp.resolve("meminfo");
        Files.writeString(meminfo, "MemTotal:       24588012 kB\nMemFree:         1 kB\n");
        assertThat(SessionLimits.defaultMemory(meminfo)).isEqualTo(24588012L * 1024 / 2);
        assertThat(SessionLimits.defaults().pids()).isEqualTo(SessionLimits.DEFAULT_PIDS);
        assertThat(SessionLimits.defaults().describe()).startsWith("4096 tasks, ").endsWith("GiB memory");
        assertThat(SessionLimits.NONE.describe()).isEqualTo("tasks unlimited, memory unlimited");
    }

    @Test
    void findsV1HierarchiesBySuperOptions() {
        String mountinfo = """
                31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
                33 31 0:30 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct
                35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
                39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
                40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
                41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
                """;
        assertThat(LimitCgroups.v1Hierarchies(mountinfo)).containsExactly(
                Map.entry("cpu", Path.of("/sys/fs/cgroup/cpu,cpuacct")), Map.entry("memory", Path.of("/sys/fs/cgroup/memory")), Map.entry("pids", Path.of("/sys/fs/cgroup/pids")));
        assertThat(LimitCgroups.v1Hierarchies("41 31 0:38 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n")).isEmpty();
    }

    @Test
    void aLimitWithNoControllerIsReportedNotDropped() throws Exception {
        // A cgroup2 root without controllers and no v1 hierarchy: nothing can hold the limits.
        Path session = tmp.resolve("unified/tether/s1");
        Files.createDirectories(session);
        Files.writeString(tmp.resolve("unified/cgroup.controllers"), "\n");
        try (LimitCgroups l = LimitCgroups.create("s1", session, new SessionLimits(10, 1 << 20), Map.of())) {
            assertThat(l.unenforced()).containsExactly("pids", "memory");
            assertThat(l.enforcedBy()).isEmpty();
            assertThat(l.procsFiles()).isEmpty();
        }
    }

    @Test
    void everySessionGetsACpuGroupOfItsOwnEvenWithoutLimits() throws Exception {
        Path cpu = Files.createDirectories(tmp.resolve("cpu"));
        Path pids = Files.createDirectories(tmp.resolve("pids"));
        try (LimitCgroups l = LimitCgroups.create("s1", null, SessionLimits.NONE, Map.of("cpu", cpu, "pids", pids))) {
            assertThat(l.procsFiles()).containsExactly(cpu.resolve("tether/s1/cgroup.procs"));
            assertThat(l.enforcedBy()).containsExactly("cpu share (cgroup v1)");
            assertThat(cpu.resolve("tether/s1")).isDirectory();
            assertThat(pids.resolve("tether")).doesNotExist();
        }
        assertThat(cpu.resolve("tether")).doesNotExist();
    }

    @Test
    void noLimitsCreateNothing() throws Exception {
        Path pids = Files.createDirectories(tmp.resolve("pids"));
        try (LimitCgroups l = LimitCgroups.create("s1", null, SessionLimits.NONE, Map.of("pids", pids))) {
            assertThat(l.procsFiles()).isEmpty();
            assertThat(l.unenforced()).isEmpty();
        }
        assertThat(pids.resolve("tether")).doesNotExist();
    }
}
