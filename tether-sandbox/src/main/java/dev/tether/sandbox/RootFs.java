package dev.tether.sandbox;

import java.nio.file.Path;

/** What the sandbox sees as its root file system. */
public sealed interface RootFs {
    /** The host's /usr, /etc and /opt read-only (built-in engine only: it needs no image). */
    record HostSystem() implements RootFs {}

    /** A container image known to the engine (podman/docker only). */
    record Image(String reference) implements RootFs {
        public Image {
            if (reference == null || reference.isBlank()) {
                throw new IllegalArgumentException("empty image reference");
            }
        }
    }

    /** An unpacked root file system directory, e.g. one {@code tether image build} produced. */
    record Directory(Path path) implements RootFs {}
}
