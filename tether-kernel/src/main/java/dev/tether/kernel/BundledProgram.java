package dev.tether.kernel;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * A small static program the build compiles from tether-kernel/src/main/bpf and ships in the jar
 * (the Landlock and mount helpers), written to a host file before use.
 *
 * @param resource where the jar holds it ({@code /bpf/NAME})
 */
public record BundledProgram(String resource) {
    /**
     * Writes the program to {@code target} with {@code permissions} (e.g. {@code rwxr-xr-x}),
     * replacing what is there in one rename, and returns it.
     */
    public Path install(Path target, String permissions) {
        try (InputStream in = BundledProgram.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException(resource + " is missing from tether's jar; rebuild tether (the build"
                        + " compiles it with cc -static from tether-kernel/src/main/bpf)");
            }
            Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
            Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
            Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString(permissions));
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot install " + resource + " at " + target, e);
        }
    }
}
