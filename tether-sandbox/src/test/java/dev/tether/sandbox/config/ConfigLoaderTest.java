package dev.tether.sandbox.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {
    @TempDir Path dir;

    private TetherConfig parse(String text) {
        return new ConfigLoader(Map.of("WORK", "/srv/work"), Path.of("/home/me")).parse(text, dir.resolve("config.toml"));
    }

    @Test
    void leashConfigIsReadUnchanged() {
        TetherConfig c = parse("""
                [volumes]
                codex = true
                claude = false
                "~/devtools" = "/workspace/devtools:ro"

                [leash]
                target_image = "ghcr.io/example/coder:1"
                [leash.envvars]
                OPENAI_API_KEY = "sk-example"

                [projects."/srv/app"]
                codex = false
                target_image = "app-image"
                [projects."/srv/app".volumes]
                "~/devtools" = false
                "./.dev" = "/workspace/dev:rw"
                [projects."/srv/app".envvars]
                BACKEND_URL = "http://localhost:4000"
                """);
        Settings global = c.global();
        assertThat(global.image()).isEqualTo("ghcr.io/example/coder:1");
        assertThat(global.agentMount("codex")).contains(true);
        assertThat(global.volumeSpecs()).containsExactly("/home/me/devtools:/workspace/devtools:ro");
        Settings app = c.forProject(Path.of("/srv/app"));
        assertThat(app.image()).isEqualTo("app-image");
        assertThat(app.agentMount("codex")).contains(false);
        assertThat(app.agentMount("claude")).contains(false);
        assertThat(app.env()).containsEntry("OPENAI_API_KEY", "sk-example").containsEntry("BACKEND_URL", "http://localhost:4000");
        assertThat(app.volumeSpecs()).containsExactly("./.dev:/workspace/dev:rw");
        assertThat(c.forProject(Path.of("/elsewhere")).image()).isEqualTo("ghcr.io/example/coder:1");
    }

    @Test
    void tetherKeysPerProjectWithEnvironmentExpansion() {
        TetherConfig c = parse("""
                engine = "builtin"
                [projects."${WORK}/api"]
                engine = "podman"
                image = "localhost/tether/agents:abc"
                policy = "policy.cedar"
                """);
        assertThat(c.global().engine()).isEqualTo("builtin");
        Settings api = c.forProject(Path.of("/srv/work/api"));
        assertThat(api.engine()).isEqualTo("podman");
        assertThat(api.policy()).isEqualTo(Path.of("/srv/work/api/policy.cedar"));
    }

    @Test
    void unknownKeysAreLocatedWithASuggestion() {
        assertThatThrownBy(() -> parse("engine = \"podman\"\n\n[projects.\"/srv/app\"]\nimgae = \"x\"\n"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("config.toml:4:1: unknown key 'projects./srv/app.imgae'")
                .hasMessageContaining("did you mean 'image'?");
    }

    @Test
    void badValuesSayWhatIsExpected() {
        assertThatThrownBy(() -> parse("engine = \"podmn\"\n")).hasMessageContaining(":1:1: engine 'podmn' is not one of")
                .hasMessageContaining("did you mean 'podman'?");
        assertThatThrownBy(() -> parse("[volumes]\ncodex = \"yes\"\n")).hasMessageContaining(":2:1:")
                .hasMessageContaining("must be true or false").hasMessageContaining("write true without quotes");
        assertThatThrownBy(() -> parse("[volumes]\n\"~/x\" = \"relative\"\n")).hasMessageContaining("must be an absolute path");
        assertThatThrownBy(() -> parse("[projects.\"relative\"]\nengine = \"podman\"\n")).hasMessageContaining("must be an absolute path");
        assertThatThrownBy(() -> parse("engine = \n")).isInstanceOf(ConfigException.class).hasMessageContaining(":1:").hasMessageContaining("not valid TOML");
        // A NUL in a path is refused as a config error, not an exception from java.nio (fuzzing found it).
        assertThatThrownBy(() -> parse("[projects.\"/sr\\u0000v/app\"]\nimage = \"x\"\n")).isInstanceOf(ConfigException.class)
                .hasMessageContaining("NUL");
        assertThatThrownBy(() -> parse("policy = \"/etc/p\\u0000olicy.cedar\"\n")).isInstanceOf(ConfigException.class)
                .hasMessageContaining(":1:1:").hasMessageContaining("NUL");
        assertThatThrownBy(() -> parse("[volumes]\n\"/data\" = \"/d\\u0000ata:ro\"\n")).isInstanceOf(ConfigException.class)
                .hasMessageContaining(":2:1:").hasMessageContaining("NUL");
        // ... also after "~/", which was resolved against the home directory before the check (fuzzing, 2026-11-28).
        assertThatThrownBy(() -> parse("[projects.\"/srv/app\".volumes]\n\"~/dev\\u0000s\" = false\n"))
                .isInstanceOf(ConfigException.class).hasMessageContaining(":2:1:").hasMessageContaining("NUL");
        assertThatThrownBy(() -> parse("policy = \"~/p\\u0000.cedar\"\n")).isInstanceOf(ConfigException.class)
                .hasMessageContaining(":1:1:").hasMessageContaining("NUL");
        assertThatThrownBy(() -> parse("[projects.\"~/sr\\u0000v\"]\nimage = \"x\"\n")).isInstanceOf(ConfigException.class)
                .hasMessageContaining("NUL");
    }

    @Test
    void rememberedAnswersAreInsertedUnderTheirTableAndKeepComments() throws Exception {
        Path file = dir.resolve("config.toml");
        Files.writeString(file, "# my settings\n[volumes]\nclaude = false\n\n[projects.\"/srv/app\"]\nengine = \"podman\"\n");
        ConfigWriter w = new ConfigWriter(Map.of(), Path.of("/home/me"));
        w.rememberAgentMount(file, "claude", null, true);
        w.rememberAgentMount(file, "codex", Path.of("/srv/app"), true);
        w.rememberAgentMount(file, "gemini", Path.of("/srv/other"), false);
        String text = Files.readString(file);
        assertThat(text).startsWith("# my settings\n[volumes]\nclaude = true\n");
        TetherConfig c = new ConfigLoader(Map.of(), Path.of("/home/me")).load(file);
        assertThat(c.global().agentMount("claude")).contains(true);
        assertThat(c.projectOnly(Path.of("/srv/app")).agentMount("codex")).contains(true);
        assertThat(c.projectOnly(Path.of("/srv/other")).agentMount("gemini")).contains(false);
        assertThat(c.forProject(Path.of("/srv/app")).engine()).isEqualTo("podman");
    }

    @Test
    void sessionLimitsGloballyAndPerProject() {
        TetherConfig c = parse("""
                pids_limit = 2048
                memory = "8g"
                [projects."/srv/app"]
                memory = 0
                [projects."/srv/big"]
                pids_limit = "unlimited"
                memory = 17179869184
                """);
        assertThat(c.global().pidsLimit()).isEqualTo(2048L);
        assertThat(c.global().memoryLimit()).isEqualTo(8L << 30);
        assertThat(c.forProject(Path.of("/srv/app")).memoryLimit()).isZero();
        assertThat(c.forProject(Path.of("/srv/app")).pidsLimit()).isEqualTo(2048L);
        assertThat(c.forProject(Path.of("/srv/big")).pidsLimit()).isZero();
        assertThat(c.forProject(Path.of("/srv/big")).memoryLimit()).isEqualTo(16L << 30);
        assertThat(parse("engine = \"builtin\"").global().memoryLimit()).isNull();
    }

    @Test
    void badLimitsAreLocated() {
        assertThatThrownBy(() -> parse("engine = \"builtin\"\nmemory = \"lots\"\n"))
                .isInstanceOf(ConfigException.class).hasMessageContaining(":2:").hasMessageContaining("not a size");
        assertThatThrownBy(() -> parse("pids_limit = -5\n")).hasMessageContaining("cannot be negative");
        assertThatThrownBy(() -> parse("pids_limit = true\n")).hasMessageContaining("must be a number");
    }
}
