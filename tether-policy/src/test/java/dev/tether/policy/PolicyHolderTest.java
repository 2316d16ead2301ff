package dev.tether.policy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PolicyHolderTest {
    static final Principal P = new Principal("claude", "s1");
    static final Request READ = new FileRequest(P, Action.FILE_OPEN_READ_ONLY, "/workspace/a");
    static final Request WRITE = new FileRequest(P, Action.FILE_OPEN_READ_WRITE, "/workspace/a");
    static final String READ_ONLY = "permit (principal, action == Action::\"FileOpenReadOnly\", resource in Dir::\"/workspace/\");\n";
    static final String READ_WRITE = READ_ONLY
            + "permit (principal, action == Action::\"FileOpenReadWrite\", resource in Dir::\"/workspace/\");\n";

    @TempDir
    Path dir;

    /** Waits (not a timing assertion: up to 20 s on a loaded machine) for the next reload. */
    private static PolicyHolder.Reload next(BlockingQueue<PolicyHolder.Reload> q) throws InterruptedException {
        PolicyHolder.Reload r = q.poll(20, TimeUnit.SECONDS);
        assertThat(r).as("a reload was reported").isNotNull();
        return r;
    }

    @Test
    void watchedFileChangesAreAppliedAndBadVersionsKept() throws Exception {
        Path file = dir.resolve("policy.cedar");
        Files.writeString(file, READ_ONLY);
        try (PolicyHolder h = PolicyHolder.open(file, null)) {
            BlockingQueue<PolicyHolder.Reload> q = new LinkedBlockingQueue<>();
            h.addListener(q::add);
            h.watch();
            assertThat(h.current().generation()).isEqualTo(1);
            assertThat(h.current().decide(WRITE).allowed()).isFalse();

            Files.writeString(file, READ_WRITE);
            PolicyHolder.Reload r = next(q);
            assertThat(r).isInstanceOf(PolicyHolder.Applied.class);
            assertThat(h.current()).isSameAs(r.current());
            assertThat(h.current().generation()).isEqualTo(2);
            assertThat(h.current().decide(WRITE).allowed()).isTrue();

            Files.writeString(file, "permit (principal, action == Action::\"FileOpenRW\", resource);\n");
            PolicyHolder.Reload bad = next(q);
            assertThat(bad).isInstanceOf(PolicyHolder.Kept.class);
            assertThat(((PolicyHolder.Kept) bad).errors()).extracting(Finding::code).contains("TP010");
            assertThat(h.current().generation()).isEqualTo(2);
            assertThat(h.current().decide(WRITE).allowed()).isTrue();

            // editors save by writing a temporary file and renaming it over the original
            Path tmp = dir.resolve(".policy.cedar.swp");
            Files.writeString(tmp, READ_ONLY);
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            PolicyHolder.Reload renamed = next(q);
            assertThat(renamed).isInstanceOf(PolicyHolder.Applied.class);
            assertThat(h.current().generation()).isEqualTo(3);
            assertThat(h.current().decide(WRITE).allowed()).isFalse();
            assertThat(h.current().decide(READ).allowed()).isTrue();
        }
    }

    @Test
    void principalsFileChangesAreWatchedToo() throws Exception {
        Path file = dir.resolve("policy.cedar");
        Path principals = dir.resolve("principals.toml");
        Files.writeString(file, "permit (principal in Team::\"dev\", action == Action::\"FileOpenReadOnly\", resource);\n");
        Files.writeString(principals, "[agents.codex]\nteams = [\"dev\"]\n");
        try (PolicyHolder h = PolicyHolder.open(file, principals)) {
            BlockingQueue<PolicyHolder.Reload> q = new LinkedBlockingQueue<>();
            h.addListener(q::add);
            h.watch();
            assertThat(h.current().decide(READ).allowed()).isFalse();
            Files.writeString(principals, "[agents.claude]\nteams = [\"dev\"]\n");
            assertThat(next(q)).isInstanceOf(PolicyHolder.Applied.class);
            assertThat(h.current().decide(READ).allowed()).isTrue();
        }
    }

    @Test
    void aFileRewrittenWithoutPauseIsStillReloadedDuringTheBurst() throws Exception {
        // Rewritten every 5 ms (less than the settle time) for 2 s: the debounce must not starve
        // the reload until the writes stop.
        Path file = dir.resolve("policy.cedar");
        Files.writeString(file, READ_ONLY);
        try (PolicyHolder h = PolicyHolder.open(file, null)) {
            BlockingQueue<PolicyHolder.Reload> q = new LinkedBlockingQueue<>();
            h.addListener(q::add);
            h.watch();
            Path tmp = dir.resolve(".policy.cedar.tmp");
            long end = System.nanoTime() + 2_000_000_000L;
            int writes = 0;
            int reloadsDuringBurst = 0;
            while (System.nanoTime() < end) {
                Files.writeString(tmp, writes++ % 2 == 0 ? READ_WRITE : READ_ONLY);
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                Thread.sleep(5);
                while (q.poll() != null) {
                    reloadsDuringBurst++;
                }
            }
            assertThat(reloadsDuringBurst).as("reloads while %d writes went on", writes).isPositive();
        }
    }

    @Test
    void theWatcherLoadsTheVersionItReadEvenIfTheFileMovedOnMeanwhile() throws Exception {
        // A storm alternating two versions: each time the watcher reads one, the file already holds
        // the other. Before, the watcher remembered what it read but reloaded the file again and put
        // the other version in force; from then on both versions counted as seen and no write was
        // ever reloaded again (ResilienceIT's storm: 600 writes, 1 reload).
        Path file = dir.resolve("policy.cedar");
        Files.writeString(file, READ_ONLY);
        try (PolicyHolder h = PolicyHolder.open(file, null)) {
            for (int i = 0; i < 6; i++) {
                String read = i % 2 == 0 ? READ_WRITE : READ_ONLY;
                Files.writeString(file, i % 2 == 0 ? READ_ONLY : READ_WRITE); // the next write landed already
                assertThat(h.fileChanged(read)).as("read #%d", i).get().isInstanceOf(PolicyHolder.Applied.class);
                assertThat(h.current().sourceText()).isEqualTo(read);
                assertThat(h.current().generation()).isEqualTo(2 + i);
            }
        }
    }

    @Test
    void aFileEditedBackToTheVersionBeforeAReplaceIsReloaded() throws Exception {
        // The control plane saves B; the user's editor then writes A (the version the watcher saw
        // first) back: that is a change, not a version already seen.
        Path file = dir.resolve("policy.cedar");
        Files.writeString(file, READ_ONLY);
        try (PolicyHolder h = PolicyHolder.open(file, null)) {
            assertThat(h.fileChanged(READ_ONLY)).as("unchanged").isEmpty();
            assertThat(h.replace(READ_WRITE)).isInstanceOf(PolicyHolder.Applied.class);
            assertThat(h.fileChanged(READ_WRITE)).as("our own replace").isEmpty();
            Files.writeString(file, READ_ONLY);
            assertThat(h.fileChanged(READ_ONLY)).get().isInstanceOf(PolicyHolder.Applied.class);
            assertThat(h.current().decide(WRITE).allowed()).isFalse();
            assertThat(h.current().generation()).isEqualTo(3);
        }
    }

    @Test
    void aRefusedVersionIsReportedOnceUntilAnotherVersionComes() throws Exception {
        Path file = dir.resolve("policy.cedar");
        Files.writeString(file, READ_ONLY);
        String bad = "permit (principal, action == Action::\"FileOpenRW\", resource);\n";
        try (PolicyHolder h = PolicyHolder.open(file, null)) {
            assertThat(h.fileChanged(bad)).get().isInstanceOf(PolicyHolder.Kept.class);
            assertThat(h.fileChanged(bad)).as("already reported").isEmpty();
            assertThat(h.fileChanged(READ_WRITE)).get().isInstanceOf(PolicyHolder.Applied.class);
            assertThat(h.fileChanged(bad)).as("refused again after another version").get()
                    .isInstanceOf(PolicyHolder.Kept.class);
            assertThat(h.current().sourceText()).isEqualTo(READ_WRITE);
            // unreadable (gone): the reload reports why, and the version in force stays
            Files.delete(file);
            PolicyHolder.Reload gone = h.fileChanged(null).orElseThrow();
            assertThat(gone).isInstanceOf(PolicyHolder.Kept.class);
            assertThat(((PolicyHolder.Kept) gone).errors()).extracting(Finding::message).contains("file does not exist");
        }
    }

    @Test
    void theWatcherFollowsAnEditBackAfterAReplace() throws Exception {
        Path file = dir.resolve("policy.cedar");
        Files.writeString(file, READ_ONLY);
        try (PolicyHolder h = PolicyHolder.open(file, null)) {
            BlockingQueue<PolicyHolder.Reload> q = new LinkedBlockingQueue<>();
            h.watch();
            assertThat(h.replace(READ_WRITE)).isInstanceOf(PolicyHolder.Applied.class);
            h.addListener(q::add);
            Path tmp = dir.resolve(".policy.cedar.tmp");
            Files.writeString(tmp, READ_ONLY);
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            PolicyHolder.Reload r = next(q);
            assertThat(r).isInstanceOf(PolicyHolder.Applied.class);
            assertThat(r.current().sourceText()).isEqualTo(READ_ONLY);
        }
    }

    @Test
    void replaceWritesOnlyAPolicyThatLoads() throws Exception {
        Path file = dir.resolve("policy.cedar");
        Files.writeString(file, READ_ONLY);
        try (PolicyHolder h = PolicyHolder.open(file, null)) {
            PolicyHolder.Reload bad = h.replace("permit (principal, action, resource) when { (((( };");
            assertThat(bad).isInstanceOf(PolicyHolder.Kept.class);
            assertThat(Files.readString(file)).isEqualTo(READ_ONLY);
            assertThat(h.current().generation()).isEqualTo(1);

            PolicyHolder.Reload ok = h.replace(READ_WRITE);
            assertThat(ok).isInstanceOf(PolicyHolder.Applied.class);
            assertThat(Files.readString(file)).isEqualTo(READ_WRITE);
            assertThat(h.current().sourceText()).isEqualTo(READ_WRITE);
            assertThat(h.current().generation()).isEqualTo(2);
            try (var files = Files.list(dir)) {
                assertThat(files).as("no temporary file left behind").containsExactly(file);
            }
        }
    }

    @Test
    void decidersSeeOneWholeSnapshotWhileItIsSwapped() throws Exception {
        Path file = dir.resolve("policy.cedar");
        Files.writeString(file, READ_ONLY);
        try (PolicyHolder h = PolicyHolder.open(file, null)) {
            AtomicBoolean stop = new AtomicBoolean();
            AtomicLong inconsistent = new AtomicLong();
            AtomicLong decisions = new AtomicLong();
            Thread reader = Thread.ofPlatform().start(() -> {
                while (!stop.get()) {
                    PolicySnapshot s = h.current();
                    boolean w = s.decide(WRITE).allowed();
                    boolean expected = s.sourceText().equals(READ_WRITE);
                    if (w != expected || !s.decide(READ).allowed()) {
                        inconsistent.incrementAndGet();
                    }
                    decisions.incrementAndGet();
                }
            });
            for (int i = 0; i < 20; i++) {
                assertThat(h.replace(i % 2 == 0 ? READ_WRITE : READ_ONLY)).isInstanceOf(PolicyHolder.Applied.class);
            }
            stop.set(true);
            reader.join();
            assertThat(decisions.get()).isPositive();
            assertThat(inconsistent.get()).isZero();
            assertThat(h.current().generation()).isEqualTo(21);
        }
    }

    @Test
    void aReloadedPolicyIsCompiledForKnownPrincipalsBeforeItGoesLive() throws Exception {
        Path file = dir.resolve("policy.cedar");
        Files.writeString(file, READ_ONLY);
        try (PolicyHolder h = PolicyHolder.open(file, null)) {
            h.current().decide(READ);
            h.current().decide(new FileRequest(new Principal("codex", null), Action.FILE_OPEN_READ_ONLY, "/x"));
            h.replace(READ_WRITE);
            var fresh = (dev.tether.policy.compile.CompiledSnapshot) h.current();
            assertThat(fresh.principalsSeen()).containsExactlyInAnyOrder(P, new Principal("codex", null));
        }
    }

    @Test
    void printingListenerReportsWhatStaysInForce() {
        LoadResult r = PolicyLoader.parse(READ_ONLY, "mem.cedar");
        PolicyHolder h = PolicyHolder.of(((LoadResult.Loaded) r).snapshot());
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        h.addListener(PolicyHolder.printingTo(new PrintStream(buf, true, StandardCharsets.UTF_8)));
        h.replace("permit (principal, action == Action::\"Nope\", resource);");
        String out = buf.toString(StandardCharsets.UTF_8);
        assertThat(out).contains("policy change refused; generation 1 stays in force")
                .contains("mem.cedar:1:30: error TP010");
    }

    /** A change source the test feeds by hand: what a watcher would report, with no clock involved. */
    static final class ScriptedChanges implements dev.tether.policy.watch.FileChangeSource {
        final BlockingQueue<java.util.List<Change>> queue = new LinkedBlockingQueue<>();
        volatile java.util.Set<Path> watched;
        private volatile boolean closed;

        @Override
        public java.util.List<Change> next(long timeoutMillis) throws InterruptedException {
            if (closed) {
                throw new java.nio.file.ClosedWatchServiceException();
            }
            java.util.List<Change> got = timeoutMillis < 0 ? queue.take()
                    : queue.poll(timeoutMillis, TimeUnit.MILLISECONDS);
            return got == null ? java.util.List.of() : got;
        }

        @Override
        public void close() {
            closed = true;
        }
    }

    @Test
    void aWriteTheSourceKnowsCompleteIsReloadedWithItsTimeline() throws Exception {
        Path file = dir.resolve("policy.cedar");
        Files.writeString(file, READ_ONLY);
        ScriptedChanges changes = new ScriptedChanges();
        try (PolicyHolder h = PolicyHolder.open(file, null)) {
            BlockingQueue<PolicyHolder.Reload> q = new LinkedBlockingQueue<>();
            h.addListener(q::add);
            h.watch(files -> {
                changes.watched = files;
                return changes;
            });
            assertThat(changes.watched).containsExactly(file.toAbsolutePath());
            Files.writeString(file, READ_WRITE);
            changes.queue.add(java.util.List.of(dev.tether.policy.watch.FileChangeSource.Change.WRITTEN));
            PolicyHolder.Applied a = (PolicyHolder.Applied) next(q);
            assertThat(a.current().decide(WRITE).allowed()).isTrue();
            PolicyHolder.WatchTiming t = a.watched().orElseThrow();
            assertThat(t.seenNanos()).isLessThanOrEqualTo(t.settledNanos());
            assertThat(t.settledNanos()).isLessThanOrEqualTo(t.readNanos());
            assertThat(t.readNanos()).isLessThanOrEqualTo(t.compiledNanos());
            // a replace is not a watched reload: no timeline
            assertThat(((PolicyHolder.Applied) h.replace(READ_ONLY)).watched()).isEmpty();
        }
    }

    @Test
    void theLastVersionOfABurstIsTheOneLeftInForce() throws Exception {
        // Versions written and reported as fast as the test can: however the watcher folds them,
        // after the last change it reads the file again, so the last version ends up in force.
        Path file = dir.resolve("policy.cedar");
        Files.writeString(file, READ_ONLY);
        ScriptedChanges changes = new ScriptedChanges();
        try (PolicyHolder h = PolicyHolder.open(file, null)) {
            h.watch(files -> changes);
            String last = null;
            for (int i = 0; i < 200; i++) {
                last = READ_ONLY + "// version " + i + "\n";
                Files.writeString(file, last);
                changes.queue.add(java.util.List.of(i % 3 == 0
                        ? dev.tether.policy.watch.FileChangeSource.Change.CHANGING
                        : dev.tether.policy.watch.FileChangeSource.Change.WRITTEN));
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20); // a wait, not a timing assertion
            while (!h.current().sourceText().equals(last) && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertThat(h.current().sourceText()).isEqualTo(last);
        }
    }

    @Test
    void theWatcherSeeingOurOwnReplaceMidwayDoesNotApplyItASecondTime() throws Exception {
        // The inotify watcher sees the editor's atomic write at once, often before replace() has
        // put the text in force; it must not apply the same text again (a second generation made
        // the control plane report its own save as refused).
        Path file = dir.resolve("policy.cedar");
        Files.writeString(file, READ_ONLY);
        try (PolicyHolder h = PolicyHolder.open(file, null)) {
            for (int i = 0; i < 100; i++) {
                String text = (i % 2 == 0 ? READ_WRITE : READ_ONLY) + "// edit " + i + "\n";
                long before = h.current().generation();
                java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
                Thread watcher = Thread.ofPlatform().start(() -> {
                    try {
                        go.await();
                        // As the watcher does: act on the file once it holds the new text (the
                        // write is seen at once, the text put in force only after it).
                        long deadline = System.nanoTime() + 10_000_000_000L;
                        String seen;
                        while (!(seen = Files.readString(file)).equals(text) && System.nanoTime() < deadline) {
                            Thread.onSpinWait();
                        }
                        h.fileChanged(seen);
                    } catch (InterruptedException | java.io.IOException e) {
                        // the assertion below reports it
                    }
                });
                go.countDown();
                assertThat(h.replace(text)).isInstanceOf(PolicyHolder.Applied.class);
                watcher.join();
                assertThat(h.current().generation()).as("edit %d", i).isEqualTo(before + 1);
            }
        }
    }
}
