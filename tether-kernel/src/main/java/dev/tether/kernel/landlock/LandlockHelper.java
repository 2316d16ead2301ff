package dev.tether.kernel.landlock;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;

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
        try (InputStream in = LandlockHelper.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("the tether-landlock helper is missing from tether's jar (" + RESOURCE
                        + "); rebuild tether (the build compiles it with cc -static from tether-kernel/src/main/bpf)");
            }
            Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
            Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
            Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot install the tether-landlock helper at " + target, e);
        }
    }
}
