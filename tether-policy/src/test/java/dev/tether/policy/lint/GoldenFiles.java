package dev.tether.policy.lint;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Compares output with a checked-in {@code .expected} file. Run with
 * {@code -Dtether.golden.update=true} to rewrite the files after an intended change, then review
 * the diff.
 */
final class GoldenFiles {
    private GoldenFiles() {}

    static void check(Path expectedFile, String actual) throws IOException {
        if (Boolean.getBoolean("tether.golden.update")) {
            Files.writeString(expectedFile, actual, StandardCharsets.UTF_8);
            return;
        }
        if (!Files.exists(expectedFile)) {
            throw new AssertionError("missing golden file " + expectedFile + "; actual output:\n" + actual);
        }
        String expected = Files.readString(expectedFile, StandardCharsets.UTF_8);
        org.assertj.core.api.Assertions.assertThat(actual).as("golden file %s", expectedFile).isEqualTo(expected);
    }

    /** The source tree directory of test resources, so updates land in the repository. */
    static Path resources(String sub) {
        return Path.of("src/test/resources", sub);
    }
}
