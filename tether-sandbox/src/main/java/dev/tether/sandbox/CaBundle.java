package dev.tether.sandbox;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * The trust store a sandbox gets when tether intercepts TLS: a system bundle plus tether's CA,
 * written on the host and mounted over the sandbox's {@link SandboxSpec#CA_BUNDLE}. Doing it on
 * the host (instead of running update-ca-certificates inside) costs nothing at start, runs no
 * extra program under the policy, and works for images whose root is read-only.
 */
public final class CaBundle {
    private CaBundle() {}

    /**
     * @param systemBundle the bundle to extend (the sandbox root's own when known, else the host's)
     * @param ca tether's CA certificate (PEM)
     * @param out where to write the combined bundle
     */
    public static Path write(Path systemBundle, Path ca, Path out) {
        try {
            String pem = Files.readString(ca);
            if (!pem.contains("-----BEGIN CERTIFICATE-----")) {
                throw new IllegalArgumentException("CA certificate " + ca + " is not a PEM certificate");
            }
            String base = Files.isRegularFile(systemBundle) ? Files.readString(systemBundle) : "";
            Files.createDirectories(out.getParent());
            Files.writeString(out, base + (base.isEmpty() || base.endsWith("\n") ? "" : "\n")
                    + "# tether CA (TLS inspection by tether's proxy)\n" + pem + (pem.endsWith("\n") ? "" : "\n"));
            Files.setPosixFilePermissions(out, PosixFilePermissions.fromString("rw-r--r--"));
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot build the sandbox's CA bundle from " + ca, e);
        }
    }

    /** The system bundle inside {@code root} (a rootfs directory), or the host's for the host root. */
    public static Path systemBundleOf(RootFs root) {
        Path rel = Path.of(SandboxSpec.CA_BUNDLE.substring(1));
        return root instanceof RootFs.Directory d ? d.path().resolve(rel) : Path.of("/").resolve(rel);
    }
}
