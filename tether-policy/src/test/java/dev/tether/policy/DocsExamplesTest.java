package dev.tether.policy;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Every Cedar example in docs/policy.md must load without errors: the reference cannot lie. */
class DocsExamplesTest {
    @Test
    void everyCedarBlockInThePolicyReferenceLoads() throws Exception {
        String doc = Files.readString(Path.of("../docs/policy.md"));
        Matcher m = Pattern.compile("```cedar\\n(.*?)```", Pattern.DOTALL).matcher(doc);
        List<String> blocks = new ArrayList<>();
        while (m.find()) {
            blocks.add(m.group(1));
        }
        assertThat(blocks).hasSizeGreaterThanOrEqualTo(8);
        for (String b : blocks) {
            LoadResult r = PolicyLoader.parse(b, "docs/policy.md example");
            assertThat(r.findings()).as("example:\n%s\n%s", b, r.findings().stream().map(Finding::render).toList())
                    .noneMatch(f -> f.severity() == Severity.ERROR);
        }
    }
}
