package dev.tether.cli.spare;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

class ProcessContextTest {
    @Test
    void aProcessAgreesWithItselfAndItsFactsAreRead() throws Exception {
        long self = ProcessHandle.current().pid();
        ProcessContext a = ProcessContext.of(self);
        assertThat(a.differenceFrom(ProcessContext.of(self))).isEmpty();
        assertThat(a.facts()).containsKeys("the mnt namespace", "the net namespace", "Uid", "Umask", "CapEff",
                "the resource limits", "the cgroup", "the root directory", "the working directory's identity");
        assertThat(a.facts().get("the mnt namespace")).startsWith("mnt:[");
    }

    @Test
    void aDirectoryMadeAgainUnderTheSameNameIsAnotherWorkingDirectory(@org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp)
            throws Exception {
        java.nio.file.Path dir = java.nio.file.Files.createDirectory(tmp.resolve("project"));
        Process before = new ProcessBuilder("sleep", "30").directory(dir.toFile()).start();
        Process same = new ProcessBuilder("sleep", "30").directory(dir.toFile()).start();
        try {
            assertThat(ProcessContext.of(before.pid()).differenceFrom(ProcessContext.of(same.pid()))).isEmpty();
            java.nio.file.Files.delete(dir);
            java.nio.file.Files.createDirectory(dir);
            Process after = new ProcessBuilder("sleep", "30").directory(dir.toFile()).start();
            try {
                assertThat(ProcessContext.of(before.pid()).differenceFrom(ProcessContext.of(after.pid())))
                        .contains("the working directory's identity");
            } finally {
                after.destroyForcibly();
            }
        } finally {
            before.destroyForcibly();
            same.destroyForcibly();
        }
    }

    @Test
    void theFirstDifferingFactIsNamed() {
        var a = new ProcessContext(Map.of("Umask", "0022"));
        var b = new ProcessContext(Map.of("Umask", "0077"));
        assertThat(a.differenceFrom(b)).contains("Umask");
        assertThat(a.differenceFrom(new ProcessContext(Map.of()))).contains("Umask");
        assertThat(new ProcessContext(Map.of()).differenceFrom(a)).contains("Umask");
    }

    @Test
    void theOpenFilesSoftLimitIsLeftOutAsEveryJvmRaisesIt() {
        String client = """
                Limit                     Soft Limit           Hard Limit           Units
                Max open files            1024                 524288               files
                Max processes             63704                63704                processes
                """;
        String jvm = client.replace("1024                 524288", "524288               524288");
        assertThat(ProcessContext.limitsAsTheJvmSetsThem(client)).isEqualTo(ProcessContext.limitsAsTheJvmSetsThem(jvm))
                .contains("Max open files (hard) 524288").contains("Max processes             63704");
        String otherHard = client.replace("524288", "4096");
        assertThat(ProcessContext.limitsAsTheJvmSetsThem(otherHard)).isNotEqualTo(ProcessContext.limitsAsTheJvmSetsThem(client));
    }

    @Test
    void theNiceValueIsField19OfStat() throws Exception {
        int own = ProcessContext.niceOf(ProcessHandle.current().pid());
        Process p = new ProcessBuilder("nice", "-n", "7", "sleep", "30").start();
        try {
            // nice(1) adds to its own value, then execs sleep: poll until the exec happened.
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (p.info().command().map(c -> !c.endsWith("sleep")).orElse(true) && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertThat(ProcessContext.niceOf(p.pid())).isEqualTo(Math.min(19, own + 7));
        } finally {
            p.destroyForcibly();
        }
    }
}
