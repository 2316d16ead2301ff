package dev.tether.events.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tether.events.Event;
import dev.tether.events.Events;
import dev.tether.events.Verdict;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** On a really full file system (a 4 MiB tmpfs), writes fail, are counted as lost, and never throw. */
@Tag("root")
class AuditStoreDiskFullTest {
    @TempDir Path dir;

    private static int run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return p.exitValue();
    }

    @Test
    void aFullDiskLosesCountedEventsAndTheStoreCarriesOnWhenSpaceReturns() throws Exception {
        Path mnt = Files.createDirectory(dir.resolve("mnt"));
        assumeTrue(run("mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", mnt.toString()) == 0,
                "mounting a tmpfs failed: needs root (CAP_SYS_ADMIN) to make a really full file system");
        try {
            Path filler = mnt.resolve("filler");
            Files.write(filler, new byte[2 << 20]);
            long t = Event.nowNs();
            try (AuditStore store = AuditStore.open(mnt.resolve("audit.db"))) {
                int failures = 0;
                for (int b = 0; b < 200 && failures < 3; b++) {
                    List<Event> batch = new ArrayList<>();
                    for (int i = 0; i < 500; i++) {
                        batch.add(Events.open("full", t++, "/workspace/a/long/enough/path/" + b + "/" + i, Verdict.ALLOW));
                    }
                    if (!store.append(batch)) {
                        failures++;
                    }
                }
                assertThat(failures).as("the disk never filled up").isEqualTo(3);
                assertThat(store.lost()).isEqualTo(1500);
                assertThat(store.lastError()).containsIgnoringCase("full");
                assertThat(store.count(AuditQuery.all())).isEqualTo(store.written());
                assertThat(store.summary("full", 0).orElseThrow().lost().counted()).isEqualTo(1500);

                Files.delete(filler);
                assertThat(store.append(List.of(Events.open("full", t++, "/w/after", Verdict.ALLOW)))).isTrue();
                SessionRecord r = store.session("full").orElseThrow();
                assertThat(r.eventsLost()).isEqualTo(1500);
                assertThat(r.events()).isEqualTo(store.written());
                assertThat(store.losses("full")).singleElement().satisfies(l -> {
                    assertThat(l.source()).isEqualTo("store");
                    assertThat(l.count()).isEqualTo(1500);
                });
            }
        } finally {
            run("umount", "-l", mnt.toString());
        }
    }
}
