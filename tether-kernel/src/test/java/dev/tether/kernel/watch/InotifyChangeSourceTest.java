package dev.tether.kernel.watch;

import static dev.tether.policy.watch.FileChangeSource.Change.CHANGING;
import static dev.tether.policy.watch.FileChangeSource.Change.WRITTEN;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tether.kernel.ffm.LibC;
import dev.tether.policy.PolicyHolder;
import dev.tether.policy.watch.FileChangeSource.Change;
import java.io.FileOutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The inotify source against the real kernel (inotify needs no privilege) and its decoder by hand. */
class InotifyChangeSourceTest {
    static final String POLICY = "permit (principal, action == Action::\"FileOpenReadOnly\", resource in Dir::\"/workspace/\");\n";

    @TempDir Path dir;
    final LibC libc = LibC.load();

    /** Changes until {@code last} arrives (waiting up to 20 s in all: a wait, not a timing assertion). */
    private static List<Change> until(InotifyChangeSource s, Change last) throws Exception {
        List<Change> all = new ArrayList<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadline && (all.isEmpty() || all.getLast() != last)) {
            all.addAll(s.next(200));
        }
        return all;
    }

    @Test
    void aRenameOntoTheNameIsACompleteWrite() throws Exception {
        Path file = Files.writeString(dir.resolve("policy.cedar"), POLICY);
        try (InotifyChangeSource s = InotifyChangeSource.open(libc, Set.of(file))) {
            Path tmp = Files.writeString(dir.resolve(".policy.tmp"), POLICY + "// v2\n");
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            // the temporary file's own create/write/close are about another name: not reported
            assertThat(until(s, WRITTEN)).containsExactly(WRITTEN);
        }
    }

    @Test
    void anInPlaceWriteIsUnderWayUntilTheWriterCloses() throws Exception {
        Path file = Files.writeString(dir.resolve("policy.cedar"), POLICY);
        try (InotifyChangeSource s = InotifyChangeSource.open(libc, Set.of(file))) {
            try (FileOutputStream out = new FileOutputStream(file.toFile())) { // truncates, like echo > file
                out.write(POLICY.getBytes(StandardCharsets.UTF_8));
                out.flush();
                assertThat(until(s, CHANGING)).as("truncate and write, not closed yet").containsOnly(CHANGING);
            }
            assertThat(until(s, WRITTEN)).containsExactly(WRITTEN);
        }
    }

    @Test
    void aDeleteIsAChangeNotACompleteWrite() throws Exception {
        Path file = Files.writeString(dir.resolve("policy.cedar"), POLICY);
        try (InotifyChangeSource s = InotifyChangeSource.open(libc, Set.of(file))) {
            Files.delete(file);
            assertThat(until(s, CHANGING)).containsExactly(CHANGING);
            assertThat(s.next(0)).isEmpty();
        }
    }

    @Test
    void nothingQueuedIsAnEmptyAnswerAndCloseEndsTheWatch() throws Exception {
        Path file = Files.writeString(dir.resolve("policy.cedar"), POLICY);
        InotifyChangeSource s = InotifyChangeSource.open(libc, Set.of(file));
        Files.writeString(dir.resolve("other.txt"), "x");
        assertThat(s.next(0)).isEmpty();
        s.close();
        s.close();
        assertThatThrownBy(() -> s.next(-1)).isInstanceOf(ClosedWatchServiceException.class);
    }

    @Test
    void aMissingDirectoryIsRefusedWithTheReason() {
        assertThatThrownBy(() -> InotifyChangeSource.open(libc, Set.of(dir.resolve("gone/policy.cedar"))))
                .isInstanceOf(java.io.IOException.class).hasMessageContaining("inotify_add_watch");
    }

    @Test
    void decodesEventsByNameAndKind() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment buf = a.allocate(512, 8);
            long at = 0;
            at = event(buf, at, 1, LibC.IN_MODIFY, "policy.cedar");
            at = event(buf, at, 1, LibC.IN_CLOSE_WRITE, "other.txt");
            at = event(buf, at, 2, LibC.IN_CLOSE_WRITE, "policy.cedar"); // same name, unwatched directory
            at = event(buf, at, 1, LibC.IN_CLOSE_WRITE, "policy.cedar");
            at = event(buf, at, 1, LibC.IN_MOVED_TO, "policy.cedar");
            at = event(buf, at, 1, LibC.IN_CREATE, "policy.cedar");
            at = event(buf, at, -1, LibC.IN_Q_OVERFLOW, "");
            var p = InotifyChangeSource.parse(buf, at, Map.of(1, Set.of("policy.cedar")));
            assertThat(p.changes()).containsExactly(CHANGING, WRITTEN, WRITTEN, CHANGING, CHANGING);
            assertThat(p.watchLost()).isFalse();

            long end = event(buf, 0, 1, LibC.IN_IGNORED, "");
            var gone = InotifyChangeSource.parse(buf, end, Map.of(1, Set.of("policy.cedar")));
            assertThat(gone.changes()).containsExactly(CHANGING);
            assertThat(gone.watchLost()).isTrue();
        }
    }

    /** Writes one struct inotify_event with its name padded to 16 bytes, as the kernel does; returns the next offset. */
    private static long event(MemorySegment buf, long at, int wd, int mask, String name) {
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        int len = n.length == 0 ? 0 : (n.length / 16 + 1) * 16;
        buf.set(ValueLayout.JAVA_INT_UNALIGNED, at, wd);
        buf.set(ValueLayout.JAVA_INT_UNALIGNED, at + 4, mask);
        buf.set(ValueLayout.JAVA_INT_UNALIGNED, at + 8, 0);
        buf.set(ValueLayout.JAVA_INT_UNALIGNED, at + 12, len);
        buf.asSlice(at + 16, len).fill((byte) 0);
        MemorySegment.copy(n, 0, buf, ValueLayout.JAVA_BYTE, at + 16, n.length);
        return at + 16 + len;
    }

    @Test
    void aHolderWatchingThroughInotifyEndsWithTheLastVersionOfAStorm() throws Exception {
        // Renamed and in-place writes alternating without pause: however the watcher folds them,
        // the last version written is the one left in force.
        Path file = Files.writeString(dir.resolve("policy.cedar"), POLICY);
        try (PolicyHolder h = PolicyHolder.open(file, null)) {
            h.watch(files -> InotifyChangeSource.open(libc, files));
            String last = null;
            Path tmp = dir.resolve(".policy.tmp");
            for (int i = 0; i < 300; i++) {
                last = POLICY + "// version " + i + "\n";
                if (i % 2 == 0) {
                    Files.writeString(tmp, last);
                    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                } else {
                    Files.writeString(file, last);
                }
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20); // a wait, not a timing assertion
            while (!h.current().sourceText().equals(last) && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertThat(h.current().sourceText()).isEqualTo(last);
        }
    }
}
