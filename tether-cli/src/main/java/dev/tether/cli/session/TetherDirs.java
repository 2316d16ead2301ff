package dev.tether.cli.session;

import java.nio.file.Path;
import java.util.Map;

/** Where tether keeps its own state on the host: $XDG_DATA_HOME/tether or ~/.local/share/tether. */
public final class TetherDirs {
    private TetherDirs() {}

    public static Path data() {
        return data(System.getenv(), Path.of(System.getProperty("user.home")));
    }

    static Path data(Map<String, String> env, Path home) {
        String xdg = env.get("XDG_DATA_HOME");
        Path base = xdg != null && xdg.startsWith("/") ? Path.of(xdg) : home.resolve(".local/share");
        return base.resolve("tether");
    }

    /** tether's CA (ca.key at mode 0600, never visible in a sandbox; ca.crt installed in every sandbox). */
    public static Path certificateAuthority() {
        return data().resolve("ca");
    }
}
