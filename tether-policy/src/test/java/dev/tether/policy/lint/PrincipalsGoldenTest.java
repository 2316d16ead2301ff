package dev.tether.policy.lint;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.policy.Finding;
import dev.tether.policy.LoadResult;
import dev.tether.policy.PolicyLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** TP060: mistakes in the principals file are located in that file and reject the load. */
class PrincipalsGoldenTest {
    @Test
    void principalsFileErrorsAreLocated() throws Exception {
        Path policy = Files.createTempFile("policy", ".cedar");
        Files.writeString(policy, "permit (principal in Team::\"dev\", action == Action::\"FileOpenReadOnly\", resource);\n");
        Path principals = Path.of("src/test/resources/principals/TP060-principals.toml");
        LoadResult r = PolicyLoader.load(policy, principals);
        assertThat(r).isInstanceOf(LoadResult.Rejected.class);
        String out = r.findings().stream().map(Finding::render).collect(Collectors.joining("\n\n")) + "\n";
        GoldenFiles.check(GoldenFiles.resources("principals").resolve("TP060-principals.expected"), out);
        Files.delete(policy);
    }

    @Test
    void tomlSyntaxErrorsAreLocated() throws Exception {
        var res = dev.tether.policy.principals.PrincipalsFile.parse("[agents.claude]\nteams = [\"dev\"\n", "p.toml");
        assertThat(res.directory()).isNull();
        assertThat(res.errors()).singleElement().satisfies(f -> {
            assertThat(f.code()).isEqualTo("TP060");
            assertThat(f.line()).isEqualTo(3);
        });
    }
}
