package dev.tether.events.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.events.Events;
import dev.tether.events.Verdict;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A writer killed with SIGKILL mid-stream leaves every event it committed readable. */
class AuditStoreCrashTest {
    @TempDir Path dir;

    @Test
    void everyCommittedEventSurvivesSigkillOfTheWriterJvm() throws Exception {
        Path db = dir.resolve("audit.db");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process child = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED", "-cp",
                System.getProperty("java.class.path"), CrashingWriter.class.getName(), db.toString())
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        long lastReported = 0;
        try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = out.readLine()) != null) {
                lastReported = Long.parseLong(line.substring("committed ".length()));
                if (lastReported >= 50_000) {
                    break;
                }
            }
            // SIGKILL while it is writing the next batches: no chance to close or checkpoint.
            // (via the handle: Process.destroyForcibly would also close our end of its stdout).
            assertThat(child.toHandle().destroyForcibly()).isTrue();
            assertThat(child.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(child.exitValue()).isEqualTo(137);
            // Lines it printed before the kill only raise the count it committed.
            while ((line = out.readLine()) != null) {
                lastReported = Math.max(lastReported, Long.parseLong(line.substring("committed ".length())));
            }
        }
        assertThat(lastReported).isGreaterThanOrEqualTo(50_000);

        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db);
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("PRAGMA integrity_check")) {
            rs.next();
            assertThat(rs.getString(1)).isEqualTo("ok");
        }
        try (AuditStore store = AuditStore.open(db)) {
            assertThat(store.previousRunUnclean()).isTrue();
            assertThat(store.losses(null)).singleElement().satisfies(l -> assertThat(l.note()).contains("without closing"));
            long stored = store.count(AuditQuery.all());
            // Every committed batch is there; a batch committed after the last line it printed may be too.
            assertThat(stored).isGreaterThanOrEqualTo(lastReported).isEqualTo(stored / 500 * 500);
            long[] read = {0};
            store.forEach(AuditQuery.all().withLimit(10_000), e -> read[0]++);
            assertThat(read[0]).isEqualTo(stored);
            assertThat(store.session("crash").orElseThrow().events()).isEqualTo(stored);
            // And the reopened store takes new writes.
            assertThat(store.append(List.of(Events.open("after", 1, "/w/x", Verdict.ALLOW)))).isTrue();
        }
    }
}
