package dev.tether.kernel.mount;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tether.kernel.ffm.LibC;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The tether-mounts helper against the real kernel: a process in a mount namespace of its own,
 * with a directory bind-mounted over itself as a sandbox mounts its project, has its mounts
 * changed from outside.
 */
class MountNamespaceHelperIT {
    private static final long FAN_OPEN = 0x20;
    @TempDir Path tmp;
    private Path project;
    private Process sandbox;
    private MountNamespaceHelper helper;
    private final LibC libc = LibC.load();
    private int fan = -1;

    @BeforeEach
    void sandbox() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "mount namespaces need root; skipped");
        project = tmp.resolve("project");
        Files.createDirectories(project.resolve("src"));
        Files.writeString(project.resolve("notes.txt"), "notes\n");
        Files.writeString(project.resolve("src/App.java"), "class App {}\n");
        Files.createSymbolicLink(project.resolve("link"), Path.of("/etc"));
        sandbox = new ProcessBuilder("unshare", "--mount", "--propagation", "private", "sh", "-c",
                "mount --bind \"$0\" \"$0\" && echo ready && exec sleep 600", project.toString()).redirectErrorStream(true).start();
        assertThat(new BufferedReader(new InputStreamReader(sandbox.getInputStream())).readLine()).isEqualTo("ready");
        // A notification group of this test: every mount the helper attaches must carry its mark.
        fan = libc.fanotifyInit(LibC.FAN_CLOEXEC | LibC.FAN_NONBLOCK, 0);
        helper = new MountNamespaceHelper(MountNamespaceHelper.install(tmp.resolve("tether-mounts")), sandbox.pid(),
                ProcessHandle.current().pid() + ":" + fan + ":" + FAN_OPEN);
    }

    @AfterEach
    void stop() {
        if (sandbox != null) {
            sandbox.destroyForcibly();
        }
        if (fan >= 0) {
            libc.close(fan);
        }
    }

    /** Runs a shell script inside the sandbox's mount namespace; its output. */
    private String inSandbox(String script) throws Exception {
        Process p = new ProcessBuilder("nsenter", "--mount", "--target", Long.toString(sandbox.pid()), "sh", "-c", script,
                project.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        p.waitFor();
        return out;
    }

    private boolean fanotifySawAnOpen() {
        try (Arena arena = Arena.ofConfined()) {
            return libc.pollIn(fan, 2000) && libc.read(fan, arena.allocate(4096), 4096) > 0;
        }
    }

    @Test
    void readOnlyProjectWithAWritableIslandRefusesPathOperationsOutsideIt() throws Exception {
        String p = project.toString();
        assertThat(helper.apply(List.of(new MountChange(MountChange.Kind.READ_ONLY, p),
                new MountChange(MountChange.Kind.BIND_WRITABLE, p + "/src")))).isEmpty();
        String out = inSandbox("rm \"$0/notes.txt\" 2>&1; echo rm=$?; mv \"$0/notes.txt\" \"$0/src/\" 2>&1; echo mv=$?;"
                + " ln \"$0/notes.txt\" \"$0/src/l\"; echo ln=$?; truncate -s 0 \"$0/notes.txt\"; echo truncate=$?;"
                + " echo more >> \"$0/src/App.java\"; echo write=$?; mv \"$0/src/App.java\" \"$0/src/Main.java\"; echo rename=$?");
        assertThat(out).contains("rm=1", "mv=1", "ln=1", "truncate=1", "Read-only file system", "write=0", "rename=0");
        assertThat(Files.readString(project.resolve("notes.txt"))).isEqualTo("notes\n");
        assertThat(project.resolve("src/Main.java")).exists();
        // The island was marked before it was attached: the write through it raised an open event.
        assertThat(fanotifySawAnOpen()).isTrue();
        // Nothing of it reached the host's mounts.
        assertThat(Files.readString(Path.of("/proc/self/mountinfo"))).doesNotContain(" " + p + " ");
    }

    @Test
    void detachingAnIslandAndMakingTheProjectWritableAgain() throws Exception {
        String p = project.toString();
        helper.apply(List.of(new MountChange(MountChange.Kind.READ_ONLY, p),
                new MountChange(MountChange.Kind.BIND_WRITABLE, p + "/src")));
        assertThat(helper.apply(List.of(new MountChange(MountChange.Kind.DETACH, p + "/src")))).isEmpty();
        assertThat(inSandbox("echo x >> \"$0/src/App.java\"; echo write=$?")).contains("Read-only file system", "write=2");
        assertThat(helper.apply(List.of(new MountChange(MountChange.Kind.WRITABLE, p)))).isEmpty();
        assertThat(inSandbox("rm \"$0/notes.txt\"; echo rm=$?")).contains("rm=0");
    }

    @Test
    void aReadOnlyCopyOfOneFileCannotBeWrittenDeletedOrRenamedUntilDetached() throws Exception {
        String p = project.toString();
        assertThat(helper.apply(List.of(new MountChange(MountChange.Kind.BIND_READ_ONLY, p + "/src/App.java")))).isEmpty();
        String out = inSandbox("echo x >> \"$0/src/App.java\"; echo write=$?; rm \"$0/src/App.java\"; echo rm=$?;"
                + " mv \"$0/src/App.java\" \"$0/src/B.java\"; echo mv=$?; echo new > \"$0/src/C.java\"; echo create=$?;"
                + " cat \"$0/src/App.java\" > /dev/null; echo read=$?");
        assertThat(out).contains("write=2", "rm=1", "mv=1", "create=0", "read=0", "busy");
        assertThat(fanotifySawAnOpen()).as("the copy was marked before it was attached").isTrue();
        assertThat(helper.apply(List.of(new MountChange(MountChange.Kind.DETACH, p + "/src/App.java")))).isEmpty();
        assertThat(inSandbox("rm \"$0/src/App.java\"; echo rm=$?")).contains("rm=0");
    }

    @Test
    void refusesLinksMountRootsAndPathsThatAreNotThere() {
        String p = project.toString();
        Map<MountChange, String> failed = helper.apply(List.of(
                new MountChange(MountChange.Kind.BIND_WRITABLE, p + "/link"),
                new MountChange(MountChange.Kind.BIND_WRITABLE, p),
                new MountChange(MountChange.Kind.DETACH, p + "/missing"),
                new MountChange(MountChange.Kind.READ_ONLY, p + "/src")));
        assertThat(failed).hasSize(4);
        assertThat(failed.get(new MountChange(MountChange.Kind.BIND_WRITABLE, p + "/link"))).contains("symbolic links");
        assertThat(failed.get(new MountChange(MountChange.Kind.BIND_WRITABLE, p))).contains("busy");
        assertThat(failed.get(new MountChange(MountChange.Kind.DETACH, p + "/missing"))).contains("No such file");
        assertThat(failed.get(new MountChange(MountChange.Kind.READ_ONLY, p + "/src"))).contains("Invalid argument");
    }

    @Test
    void aSandboxThatIsGoneFailsEveryChange() throws Exception {
        sandbox.destroyForcibly().waitFor();
        Map<MountChange, String> failed = helper.apply(List.of(new MountChange(MountChange.Kind.READ_ONLY, project.toString())));
        assertThat(failed.values()).singleElement().asString().contains("cannot enter the mount namespace");
    }
}
