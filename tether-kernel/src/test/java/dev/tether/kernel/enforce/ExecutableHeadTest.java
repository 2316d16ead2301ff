package dev.tether.kernel.enforce;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.kernel.ffm.LibC;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The one read of an executable's head: real files, and the same answers when the head is too short to hold it all. */
class ExecutableHeadTest {
    private final LibC libc = LibC.load();
    @TempDir
    Path tmp;

    @Test
    void aDynamicProgramsLoaderComesFromTheHeadAndFromReadsAlike() throws Exception {
        Path sh = Path.of("/bin/sh").toRealPath();
        Optional<String> fromHead = interpreter(sh, ExecutableHead.SIZE);
        assertThat(fromHead).isPresent();
        assertThat(fromHead.get()).startsWith("/").contains("ld");
        assertThat(Files.exists(Path.of(fromHead.get()))).isTrue();
        // a head holding only the ELF header: program headers and the name are read from the file
        assertThat(interpreter(sh, 64)).isEqualTo(fromHead);
        assertThat(head(sh).shebang()).isEmpty();
    }

    @Test
    void aScriptHasAShebangAndNoLoader() throws Exception {
        Path script = tmp.resolve("s");
        Files.writeString(script, "#!/bin/sh -e\necho hi\n" + "#".repeat(2000));
        ExecutableHead h = head(script);
        assertThat(h.shebang()).contains(new Shebang("/bin/sh", "-e"));
        assertThat(interpreter(script, ExecutableHead.SIZE)).isEmpty();
        // the kernel reads a #! line from the first 256 bytes only
        Path longLine = tmp.resolve("long");
        Files.writeString(longLine, "#!/bin/" + "x".repeat(300) + "\n");
        assertThat(head(longLine).shebang().orElseThrow().interpreter()).hasSize(254);
    }

    @Test
    void shortAndBrokenFilesHaveNeither() throws Exception {
        Path empty = Files.createFile(tmp.resolve("empty"));
        assertThat(head(empty).bytes()).isEmpty();
        assertThat(head(empty).shebang()).isEmpty();
        assertThat(interpreter(empty, ExecutableHead.SIZE)).isEmpty();
        // an ELF magic whose program headers lie past the end of the file
        byte[] elf = Arrays.copyOf(Files.readAllBytes(Path.of("/bin/sh").toRealPath()), 64);
        elf[32] = (byte) 0xff; elf[33] = (byte) 0xff; elf[34] = (byte) 0xff; elf[35] = 0x7f; // e_phoff far away
        Path broken = Files.write(tmp.resolve("broken"), elf);
        assertThat(interpreter(broken, ExecutableHead.SIZE)).isEmpty();
    }

    private ExecutableHead head(Path file) {
        int fd = libc.open(file.toString(), LibC.O_RDONLY);
        try {
            return ExecutableHead.read(libc, fd, Arena.ofAuto().allocate(ExecutableHead.SIZE));
        } finally {
            libc.close(fd);
        }
    }

    private Optional<String> interpreter(Path file, int headBytes) {
        int fd = libc.open(file.toString(), LibC.O_RDONLY);
        try {
            ExecutableHead h = ExecutableHead.read(libc, fd, Arena.ofAuto().allocate(ExecutableHead.SIZE));
            byte[] b = h.bytes();
            return ElfInterpreter.of(libc, fd, new ExecutableHead(Arrays.copyOf(b, Math.min(b.length, headBytes))));
        } finally {
            libc.close(fd);
        }
    }
}
