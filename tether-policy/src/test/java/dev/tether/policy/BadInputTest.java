package dev.tether.policy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bad-input list: every case is a located error, never an exception, never a
 * partial load, and a holder keeps the last good policy through it.
 */
class BadInputTest {
    @TempDir
    Path dir;

    static final String GOOD = """
            permit (principal, action in [Action::"FileOpenReadOnly", Action::"FileOpenReadWrite"], resource in Dir::"/workspace/");
            """;

    private Path write(String name, byte[] bytes) throws IOException {
        Path p = dir.resolve(name);
        Files.write(p, bytes);
        return p;
    }

    private Path write(String name, String text) throws IOException {
        return write(name, text.getBytes(StandardCharsets.UTF_8));
    }

    /** Loads, expects a rejection whose first error has this code and location. */
    private Finding rejected(Path file, String code, int line, int column) {
        LoadResult r = PolicyLoader.load(file);
        assertThat(r).isInstanceOf(LoadResult.Rejected.class);
        Finding f = r.findings().get(0);
        assertThat(f.code()).isEqualTo(code);
        assertThat(f.severity()).isEqualTo(Severity.ERROR);
        assertThat(f.file()).isEqualTo(file.toString());
        assertThat(f.line()).as("line").isEqualTo(line);
        assertThat(f.column()).as("column").isEqualTo(column);
        for (Finding x : r.findings()) {
            assertThat(x.render()).doesNotContain("Exception", "\tat ", "at dev.tether", "at com.cedarpolicy");
        }
        return f;
    }

    @Test
    void syntaxError() throws IOException {
        Path p = write("syntax.cedar", GOOD + "forbid (principal, action, resource) when { context.port > };\n");
        Finding f = rejected(p, "TP003", 2, 60);
        assertThat(f.message()).contains("unexpected token");
    }

    @Test
    void unknownEntityTypeAndAction() throws IOException {
        Path types = write("types.cedar", GOOD + "permit (principal, action == Action::\"NetworkConnect\", resource in Hots::\"x\");\n");
        assertThat(rejected(types, "TP011", 2, 68).suggestion()).contains("Host");
        Path acts = write("acts.cedar", "permit (principal, action == Action::\"FileOpn\", resource);\n");
        assertThat(rejected(acts, "TP010", 1, 30).suggestion()).contains("FileOpen");
    }

    @Test
    void unsupportedConstructSaysWhatToWriteInstead() throws IOException {
        Path p = write("ext.cedar", "permit (principal, action == Action::\"NetworkConnect\", resource)\n"
                + "when { ip(\"10.1.2.3\").isInRange(ip(\"10.0.0.0/8\")) };\n");
        Finding f = rejected(p, "TP020", 2, 23);
        assertThat(f.suggestion()).contains("Net::\"10.0.0.0/8\"");
    }

    @Test
    void tenMegabyteFileIsRefusedAtTheLimit() throws IOException {
        StringBuilder sb = new StringBuilder();
        String line = "permit (principal, action == Action::\"FileOpenReadOnly\", resource in Dir::\"/usr/share/doc/\");\n";
        while (sb.length() < 10 * 1024 * 1024) {
            sb.append(line);
        }
        Path p = write("huge.cedar", sb.toString());
        LoadResult r = PolicyLoader.load(p);
        assertThat(r).isInstanceOf(LoadResult.Rejected.class);
        Finding f = r.findings().get(0);
        assertThat(f.code()).isEqualTo("TP001");
        int expectedLine = PolicyLoader.MAX_BYTES / line.length() + 1;
        assertThat(f.line()).isEqualTo(expectedLine);
        assertThat(f.column()).isEqualTo(PolicyLoader.MAX_BYTES % line.length() + 1);
        assertThat(f.message()).contains("larger than");
    }

    @Test
    void deeplyNestedExpressionsCannotCrashTheNativeParser() throws IOException {
        // the { of when is level 1, so the 24th ( is the 25th level
        // 10,000 parentheses would overflow Cedar's native parser stack and kill the JVM
        Path parens = write("parens.cedar", "permit (principal, action, resource)\nwhen { " + "(".repeat(10_000) + "true"
                + ")".repeat(10_000) + " };\n");
        assertThat(rejected(parens, "TP004", 2, 8 + 23).message()).contains("nested");
        Path sets = write("sets.cedar", "permit (principal, action, resource)\nwhen { " + "[".repeat(5_000) + "1"
                + "]".repeat(5_000) + " == 1 };\n");
        rejected(sets, "TP004", 2, 8 + 23);
        String chain = "true" + " && true".repeat(20_000);
        Path and = write("chain.cedar", "permit (principal, action, resource)\nwhen { " + chain + " };\n");
        assertThat(rejected(and, "TP004", 2, 8 + 5 + 8 * 1000).message()).contains("operators");
    }

    @Test
    void justUnderTheLimitsLoads() throws IOException {
        String chain = "context.port == 1" + " || context.port == 2".repeat(300);
        Path p = write("ok.cedar", "permit (principal, action == Action::\"NetworkConnect\", resource)\nwhen { "
                + "(".repeat(20) + chain + ")".repeat(20) + " };\n");
        LoadResult r = PolicyLoader.load(p);
        assertThat(r.findings()).isEmpty();
        assertThat(r).isInstanceOf(LoadResult.Loaded.class);
    }

    @Test
    void nonUtf8BytesAreLocated() throws IOException {
        byte[] head = (GOOD + "// caf").getBytes(StandardCharsets.UTF_8);
        byte[] bytes = new byte[head.length + 3];
        System.arraycopy(head, 0, bytes, 0, head.length);
        bytes[head.length] = (byte) 0xe9; // Latin-1 é
        bytes[head.length + 1] = '\n';
        bytes[head.length + 2] = ';';
        Finding f = rejected(write("latin1.cedar", bytes), "TP002", 2, 7);
        assertThat(f.message()).contains("0xe9");
    }

    @Test
    void oneBadStatementRejectsTheWholeFile() throws IOException {
        Path p = write("mixed.cedar", GOOD + GOOD.replace("permit", "permitt"));
        LoadResult r = PolicyLoader.load(p);
        assertThat(r).isInstanceOf(LoadResult.Rejected.class);
        assertThat(r.findings()).allMatch(f -> f.line() == 2);
    }

    @Test
    void cedarsOwnLimitsAreReportedNotThrown() throws IOException {
        Path p = write("nots.cedar", "permit (principal, action, resource) when { !!!!!!!!true };\n");
        rejected(p, "TP003", 1, 45);
        Path nul = write("nul.cedar", "permit (principal, action, resource);\n\0\0\0");
        rejected(nul, "TP003", 2, 4);
        Path missing = dir.resolve("missing.cedar");
        assertThat(PolicyLoader.load(missing).findings().get(0).message()).contains("does not exist");
    }

    @Test
    void holderKeepsTheLastGoodPolicyThroughEveryBadVersion() throws Exception {
        Path p = write("policy.cedar", GOOD);
        try (PolicyHolder holder = PolicyHolder.open(p, null)) {
            PolicySnapshot good = holder.current();
            Request read = new FileRequest(Principal.agent("claude"), Action.FILE_OPEN_READ_ONLY, "/workspace/x");
            List<byte[]> bad = List.of(
                    "permit (principal, action = Action::\"FileOpen\", resource);".getBytes(StandardCharsets.UTF_8),
                    new byte[] {'p', (byte) 0xff, ';'},
                    ("permit (principal, action, resource) when { " + "(".repeat(500) + "true" + ")".repeat(500) + " };")
                            .getBytes(StandardCharsets.UTF_8),
                    "permit (principal, action == Action::\"Nope\", resource);".getBytes(StandardCharsets.UTF_8));
            for (byte[] b : bad) {
                Files.write(p, b);
                PolicyHolder.Reload r = holder.reload();
                assertThat(r).isInstanceOf(PolicyHolder.Kept.class);
                assertThat(((PolicyHolder.Kept) r).errors()).isNotEmpty();
                assertThat(holder.current()).isSameAs(good);
                assertThat(holder.current().decide(read).allowed()).isTrue();
            }
        }
    }
}
