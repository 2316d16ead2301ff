package dev.tether.sandbox.image;

import java.nio.file.Path;
import java.util.List;

/**
 * An image tether built: the engine reference (after import) and the unpacked root file system
 * the built-in engine runs directly.
 *
 * @param agents names of the agents installed, with the version each printed at build time
 */
public record BuiltImage(String hash, String reference, Path rootfs, List<String> agents, boolean imported) {}
