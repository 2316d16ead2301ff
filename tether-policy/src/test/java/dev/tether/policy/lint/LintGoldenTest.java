package dev.tether.policy.lint;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.policy.Finding;
import dev.tether.policy.LoadResult;
import dev.tether.policy.PolicyLoader;
import dev.tether.policy.Severity;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * One policy per lint code under {@code src/test/resources/lint/CODE-name.cedar}; its rendered
 * findings must equal {@code CODE-name.expected}, and the file must produce its code.
 */
class LintGoldenTest {
    static final Path DIR = GoldenFiles.resources("lint");

    static String render(LoadResult r) {
        String head = r instanceof LoadResult.Loaded ? "LOADED\n" : "REJECTED\n";
        return head + r.findings().stream().map(Finding::render).collect(Collectors.joining("\n\n")) + "\n";
    }

    @TestFactory
    Stream<DynamicTest> everyLintFileMatchesItsGolden() throws IOException {
        List<Path> files;
        try (Stream<Path> s = Files.list(DIR)) {
            files = s.filter(p -> p.toString().endsWith(".cedar")).sorted().toList();
        }
        return files.stream().map(f -> DynamicTest.dynamicTest(f.getFileName().toString(), () -> {
            String name = f.getFileName().toString();
            String code = name.substring(0, name.indexOf('-'));
            LoadResult r = PolicyLoader.load(Path.of("lint", name).equals(f) ? f : relative(f));
            assertThat(r.findings()).extracting(Finding::code).contains(code);
            boolean error = r.findings().stream().anyMatch(x -> x.severity() == Severity.ERROR);
            assertThat(r instanceof LoadResult.Rejected).isEqualTo(error);
            GoldenFiles.check(DIR.resolve(name.replace(".cedar", ".expected")), render(r));
        }));
    }

    /** Load through a relative path so the file names in findings do not depend on the checkout. */
    private static Path relative(Path f) {
        return Path.of("").toAbsolutePath().relativize(f.toAbsolutePath());
    }

    @Test
    void everyDocumentedCodeHasAGoldenFile() throws IOException {
        Set<String> covered = new TreeSet<>();
        try (Stream<Path> s = Files.list(DIR)) {
            s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".cedar"))
                    .forEach(n -> covered.add(n.substring(0, n.indexOf('-'))));
        }
        covered.add("TP001"); // BadInputTest: oversized files
        covered.add("TP002"); // BadInputTest: non-UTF-8 bytes
        covered.add("TP060"); // PrincipalsGoldenTest
        String docs = Files.readString(Path.of("../docs/policy.md"));
        Set<String> documented = new TreeSet<>();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\\| `(TP\\d{3})` \\|").matcher(docs);
        while (m.find()) {
            documented.add(m.group(1));
        }
        assertThat(documented).as("codes in docs/policy.md").isNotEmpty();
        assertThat(covered).isEqualTo(documented);
    }
}
