package dev.tether.learn.suggest;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class FileGroupingTest {
    private static SortedMap<String, Evidence.Tally> used(String... paths) {
        SortedMap<String, Evidence.Tally> m = new TreeMap<>();
        for (String p : paths) {
            m.put(p, new Evidence.Tally());
        }
        return m;
    }

    private static List<String> grants(SortedMap<String, Evidence.Tally> used, List<String> refused, int min) {
        return FileGrouping.group(used, refused, List.of("/home/dev"), min).stream()
                .map(g -> g instanceof FileGrouping.DirGrant ? "Dir " + g.path() : g.path()).toList();
    }

    @Test
    void siblingsBecomeADirectoryOnlyWhenEnoughShareIt() {
        assertThat(grants(used("/etc/hosts", "/etc/passwd"), List.of(), 3)).containsExactly("/etc/hosts", "/etc/passwd");
        assertThat(grants(used("/etc/hosts", "/etc/passwd", "/etc/resolv.conf"), List.of(), 3)).containsExactly("Dir /etc");
        assertThat(grants(used("/etc/hosts", "/etc/passwd", "/etc/resolv.conf"), List.of(), 4))
                .containsExactly("/etc/hosts", "/etc/passwd", "/etc/resolv.conf");
    }

    @Test
    void filesDeeperDownDoNotCountForAnAncestorUnlessTheirDirectoryWasGranted() {
        // /usr has one entry used (lib), so it is never granted; lib/x86_64-linux-gnu has three files.
        assertThat(grants(used("/usr/lib/x86_64-linux-gnu/libc.so.6", "/usr/lib/x86_64-linux-gnu/libz.so.1",
                "/usr/lib/x86_64-linux-gnu/libm.so.6", "/usr/share/zoneinfo/UTC"), List.of(), 3))
                .containsExactly("Dir /usr/lib/x86_64-linux-gnu", "/usr/share/zoneinfo/UTC");
        // A directory with one file and two granted subdirectories is granted, folding them in.
        assertThat(grants(used("/p/README", "/p/src/a", "/p/src/b", "/p/src/c", "/p/doc/a", "/p/doc/b", "/p/doc/c"),
                List.of(), 3)).containsExactly("Dir /p");
        // Without the subdirectories qualifying, only what qualifies is grouped.
        assertThat(grants(used("/p/README", "/p/src/a", "/p/src/b", "/p/src/c", "/p/doc/a"), List.of(), 3))
                .containsExactly("/p/README", "/p/doc/a", "Dir /p/src");
    }

    @Test
    void neverGroupsTheRootHomesOrDeviceAndKernelDirectories() {
        assertThat(grants(used("/a", "/b", "/c"), List.of(), 2)).containsExactly("/a", "/b", "/c");
        assertThat(grants(used("/home/dev/.bashrc", "/home/dev/.profile", "/home/dev/notes"), List.of(), 2))
                .containsExactly("/home/dev/.bashrc", "/home/dev/.profile", "/home/dev/notes");
        assertThat(grants(used("/home/other/a", "/home/other/b", "/home/x/c"), List.of(), 2))
                .containsExactly("/home/other/a", "/home/other/b", "/home/x/c");
        assertThat(grants(used("/root/a", "/root/b", "/root/c"), List.of(), 2)).containsExactly("/root/a", "/root/b", "/root/c");
        assertThat(grants(used("/dev/null", "/dev/zero", "/dev/tty"), List.of(), 2)).containsExactly("/dev/null", "/dev/tty", "/dev/zero");
        assertThat(grants(used("/proc/cpuinfo", "/proc/meminfo", "/sys/x", "/sys/y"), List.of(), 2))
                .containsExactly("/proc/cpuinfo", "/proc/meminfo", "/sys/x", "/sys/y");
        // Below a home, ordinary grouping applies (a project inside it).
        assertThat(grants(used("/home/dev/proj/a", "/home/dev/proj/b", "/home/dev/proj/c"), List.of(), 3))
                .containsExactly("Dir /home/dev/proj");
        // A configured home elsewhere, and every directory above it, is protected too.
        assertThat(FileGrouping.neverGrouped("/var/lib/builder", List.of("/var/lib/builder"))).isTrue();
        assertThat(FileGrouping.neverGrouped("/var/lib", List.of("/var/lib/builder"))).isTrue();
        assertThat(FileGrouping.neverGrouped("/var/lib/builder/work", List.of("/var/lib/builder"))).isFalse();
    }

    @Test
    void aRefusalBelowADirectoryKeepsItFromBeingGranted() {
        assertThat(grants(used("/p/src/a", "/p/src/b", "/p/src/c"), List.of("/p/src/secret"), 3))
                .containsExactly("/p/src/a", "/p/src/b", "/p/src/c");
        assertThat(grants(used("/p/src/a", "/p/src/b", "/p/src/c"), List.of("/p/other/secret"), 3))
                .containsExactly("Dir /p/src");
        // A refusal that was later lifted (the path was used too) is no boundary.
        assertThat(grants(used("/p/src/a", "/p/src/b", "/p/src/c"), List.of("/p/src/a"), 3)).containsExactly("Dir /p/src");
    }

    @Test
    void aDirectoryOpenedItselfIsAnEntryAndIsCoveredByItsGrant() {
        assertThat(grants(used("/usr/bin", "/usr/bin/a", "/usr/bin/b", "/usr/bin/c"), List.of(), 3))
                .containsExactly("Dir /usr/bin");
        assertThat(grants(used("/", "/etc/hosts"), List.of(), 2)).containsExactly("/", "/etc/hosts");
    }
}
