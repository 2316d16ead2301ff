package dev.tether.sandbox;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * Per-session scratch files on the host (env file, CA bundle) under /run/tether/files/SESSION,
 * readable by root only and removed with the session (or by the sweeper after a crash).
 */
public final class SessionFiles {
    public static final Path ROOT = Path.of("/run/tether/files");

    private SessionFiles() {}

    public static Path dir(String sessionId) {
        Path d = ROOT.resolve(sessionId);
        try {
            Files.createDirectories(ROOT);
            if (!Files.isDirectory(d)) {
                Files.createDirectory(d, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            }
            return d;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + d, e);
        }
    }

    public static void delete(String sessionId) {
        Path d = ROOT.resolve(sessionId);
        if (!Files.exists(d)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(d)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            // left in /run: gone at the next boot, and the sweeper retries
        }
    }

    /** Session ids with scratch files. */
    public static java.util.List<String> sessions() {
        try (Stream<Path> s = Files.list(ROOT)) {
            return s.map(p -> p.getFileName().toString()).toList();
        } catch (IOException e) {
            return java.util.List.of();
        }
    }
}
