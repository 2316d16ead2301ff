package dev.tether.kernel.landlock;

import dev.tether.kernel.BundledProgram;
import java.nio.file.Path;

/**
 * The {@code tether-landlock} program (tether_landlock.c, statically linked by the build and
 * shipped in the jar at {@code /bpf/tether-landlock}): written to a host file that the session
 * bind-mounts read-only into the sandbox at {@link #IN_SANDBOX}, where it wraps the command.
 */
public final class LandlockHelper {
    /** Where the sandbox sees the helper. */
    public static final String IN_SANDBOX = "/run/tether-landlock";
    private static final String RESOURCE = "/bpf/tether-landlock";

    private LandlockHelper() {}

    /** Writes the helper to {@code target} (mode 0755) and returns it. */
    public static Path install(Path target) {
        return new BundledProgram(RESOURCE).install(target, "rwxr-xr-x");
    }
}
