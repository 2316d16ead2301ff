package dev.tether.kernel.enforce;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SandboxPathsTest {
    @TempDir Path dir;

    private static int self() {
        return (int) ProcessHandle.current().pid();
    }

    @Test
    void followsRelativeAndAbsoluteLinksInsideTheProcessRoot() throws Exception {
        Path target = Files.writeString(dir.resolve("real"), "x");
        Files.createDirectories(dir.resolve("lib"));
        Files.createSymbolicLink(dir.resolve("lib64"), Path.of("lib"));                 // relative, like /lib64 -> usr/lib64
        Files.createSymbolicLink(dir.resolve("lib/loader"), target.toAbsolutePath());     // absolute, like ld-linux
        var resolved = SandboxPaths.resolve(self(), dir + "/lib64/loader").orElseThrow();
        assertThat(resolved).isEqualTo(Path.of("/proc", Integer.toString(self()), "root").resolve(target.toString().substring(1)));
        assertThat(Files.readString(resolved)).isEqualTo("x");
    }

    @Test
    void dotDotAndLoopsAndMissingFiles() throws Exception {
        Files.createDirectories(dir.resolve("a/b"));
        Files.writeString(dir.resolve("a/f"), "y");
        assertThat(SandboxPaths.resolve(self(), dir + "/a/b/../f")).isPresent();
        Files.createSymbolicLink(dir.resolve("loop"), dir.resolve("loop"));
        assertThat(SandboxPaths.resolve(self(), dir + "/loop")).isEmpty();
        assertThat(SandboxPaths.resolve(self(), dir + "/missing")).isEmpty();
    }
}
