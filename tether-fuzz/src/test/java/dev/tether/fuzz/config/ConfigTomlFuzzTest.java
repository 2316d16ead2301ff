package dev.tether.fuzz.config;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.DictionaryFile;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.tether.sandbox.config.ConfigException;
import dev.tether.sandbox.config.ConfigLoader;
import dev.tether.sandbox.config.ConfigWriter;
import dev.tether.sandbox.config.Settings;
import dev.tether.sandbox.config.TetherConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;

/**
 * The config file (global, and Leash's per-project sections) is TOML a user edits by hand and
 * tether edits when it remembers an answer: any text either loads or is refused with a
 * {@link ConfigException} at file:line:col, never another exception; and remembering an answer
 * changes that answer and nothing else, or refuses.
 */
class ConfigTomlFuzzTest {
    private static final Path HOME = Path.of("/home/fuzz");
    private static final Map<String, String> ENV = Map.of("HOME", HOME.toString(), "WORK", "/srv/work");
    private static final Path PROJECT = Path.of("/srv/work/api");

    @TempDir
    Path dir;

    @FuzzTest
    @DictionaryFile(resourcePath = "toml.dict")
    void configToml(byte[] input) throws IOException {
        String text = new String(input, StandardCharsets.UTF_8);
        ConfigLoader loader = new ConfigLoader(ENV, HOME);
        TetherConfig config;
        try {
            config = loader.parse(text, Path.of("/etc/fuzz/config.toml"));
        } catch (ConfigException e) {
            assertThat(e.line()).isGreaterThanOrEqualTo(1);
            assertThat(e.column()).isGreaterThanOrEqualTo(1);
            assertThat(e.problem()).isNotBlank();
            return;
        }
        Settings global = config.global();
        if (global.policy() != null) {
            assertThat(global.policy().isAbsolute()).as("policy path %s", global.policy()).isTrue();
        }
        config.projects().keySet().forEach(p -> assertThat(p.isAbsolute()).isTrue());
        config.forProject(PROJECT);
        rememberingChangesOnlyTheAnswer(text, loader);
    }

    private void rememberingChangesOnlyTheAnswer(String text, ConfigLoader loader) throws IOException {
        Path file = dir.resolve("config.toml");
        Files.writeString(file, text);
        TetherConfig before = loader.load(file);
        boolean value = text.length() % 2 == 0;
        try {
            new ConfigWriter(ENV, HOME).rememberAgentMount(file, "codex", PROJECT, value);
        } catch (ConfigException refused) {
            assertThat(Files.readString(file)).as("a refused update leaves the file alone").isEqualTo(text);
            return;
        }
        TetherConfig after = loader.load(file);
        Settings was = before.forProject(PROJECT);
        Settings now = after.forProject(PROJECT);
        assertThat(now.agentMount("codex")).contains(value);
        assertThat(withoutCodex(now)).as("only the remembered answer changed; file now:\n%s", Files.readString(file))
                .isEqualTo(withoutCodex(was));
        assertThat(withoutCodex(after.global())).isEqualTo(withoutCodex(before.global()));
    }

    private static Settings withoutCodex(Settings s) {
        Map<String, Boolean> mounts = new java.util.LinkedHashMap<>(s.agentMounts());
        mounts.remove("codex");
        return new Settings(s.engine(), s.image(), s.policy(), s.caCertificate(), s.env(), mounts, s.volumes());
    }
}
