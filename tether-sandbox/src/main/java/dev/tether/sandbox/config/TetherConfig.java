package dev.tether.sandbox.config;

import java.nio.file.Path;
import java.util.Map;

/**
 * {@code ~/.config/tether/config.toml}: global settings and per-project sections.
 *
 * @param file where it was read from (may not exist)
 * @param global settings for every project
 * @param projects settings by absolute, normalised project directory
 */
public record TetherConfig(Path file, Settings global, Map<Path, Settings> projects) {
    public TetherConfig {
        projects = Map.copyOf(projects);
    }

    public static TetherConfig empty(Path file) {
        return new TetherConfig(file, Settings.EMPTY, Map.of());
    }

    /** What applies in {@code projectDir}: the global settings, overridden by its own section. */
    public Settings forProject(Path projectDir) {
        Settings p = projects.get(ConfigLoader.normalise(projectDir));
        return p == null ? global : global.overriddenBy(p);
    }

    /** The project's own section only (to tell a per-project decision from a global one). */
    public Settings projectOnly(Path projectDir) {
        Settings p = projects.get(ConfigLoader.normalise(projectDir));
        return p == null ? Settings.EMPTY : p;
    }

    /** The default location: $XDG_CONFIG_HOME/tether/config.toml or ~/.config/tether/config.toml. */
    public static Path defaultFile(Map<String, String> env, Path home) {
        String xdg = env.get("XDG_CONFIG_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : home.resolve(".config");
        return base.resolve("tether").resolve("config.toml");
    }
}
