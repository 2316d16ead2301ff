package dev.tether.events.store;

import java.nio.file.Path;
import java.util.Map;

/**
 * Where the host's audit database lives: {@code $TETHER_AUDIT_DB} if set, else
 * {@code $XDG_DATA_HOME/tether/audit.db}, else {@code ~/.local/share/tether/audit.db}. Root follows the
 * same rule with root's home. One file per host (per user running the daemon).
 */
public final class AuditLocation {
    /** Environment variable that overrides the location (tests, packaging). */
    public static final String OVERRIDE_ENV = "TETHER_AUDIT_DB";

    private AuditLocation() {}

    /** The default for this process's environment and home. */
    public static Path defaultDatabase() {
        return resolve(System.getenv(), Path.of(System.getProperty("user.home")));
    }

    public static Path resolve(Map<String, String> env, Path home) {
        String override = env.get(OVERRIDE_ENV);
        if (override != null && !override.isBlank()) {
            return Path.of(override);
        }
        String xdg = env.get("XDG_DATA_HOME");
        // The XDG spec says relative values are invalid and must be ignored.
        Path base = xdg != null && !xdg.isBlank() && Path.of(xdg).isAbsolute()
                ? Path.of(xdg)
                : home.resolve(".local").resolve("share");
        return base.resolve("tether").resolve("audit.db");
    }
}
