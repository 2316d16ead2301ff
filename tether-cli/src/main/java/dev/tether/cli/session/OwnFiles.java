package dev.tether.cli.session;

import dev.tether.sandbox.config.TetherConfig;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * tether's own files on the host. Its config and data directories (the CA) are mounted read-only
 * in a sandbox whose project holds them or lies inside them. Its installation (the tree the
 * launcher runs from, {@code TETHER_HOME}, and the running jar's directory) cannot be: a project
 * inside it is the normal way to work on tether itself (and its integration tests run there), so a
 * session only says, loudly, that the sandbox can then change what a later root tether builds and
 * runs.
 *
 * @param protectedDirs config and data directories
 * @param installation  the launcher's tree and the jar's directory
 */
record OwnFiles(List<Path> protectedDirs, List<Path> installation) {
    OwnFiles {
        protectedDirs = List.copyOf(protectedDirs);
        installation = List.copyOf(installation);
    }

    static OwnFiles ofThisProcess() {
        Path codeSource = null;
        try {
            codeSource = Path.of(OwnFiles.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException | RuntimeException e) {
            // no code source (not run from a file): nothing to name
        }
        return of(System.getenv(), Path.of(System.getProperty("user.home")), codeSource);
    }

    static OwnFiles of(Map<String, String> env, Path home, Path codeSource) {
        List<Path> installation = new ArrayList<>();
        String tetherHome = env.get("TETHER_HOME");
        if (tetherHome != null && tetherHome.startsWith("/")) {
            installation.add(Path.of(tetherHome));
        }
        if (codeSource != null) {
            // a jar: its directory (the AOT cache and native libraries sit beside it); classes: that directory
            installation.add(codeSource.toString().endsWith(".jar") && codeSource.getParent() != null
                    ? codeSource.getParent() : codeSource);
        }
        return new OwnFiles(List.of(TetherConfig.defaultFile(env, home).getParent(), TetherDirs.data(env, home)), installation);
    }

    /**
     * The config and data directories that lie in {@code project}, named under {@code project}
     * (the project itself when it lies inside one of them): to mount read-only at its names.
     */
    List<Path> protectedInside(Path project) {
        return overlapping(protectedDirs, project);
    }

    /** The parts of the installation the project holds or lies inside (named as in {@link #protectedInside}). */
    List<Path> installationOverlapping(Path project) {
        return overlapping(installation, project);
    }

    private static List<Path> overlapping(List<Path> own, Path project) {
        Path projectReal = real(project);
        Set<Path> out = new LinkedHashSet<>();
        for (Path p : own) {
            Path ownReal = real(p);
            if (ownReal.startsWith(projectReal)) {
                out.add(project.resolve(projectReal.relativize(ownReal)).normalize());
            } else if (projectReal.startsWith(ownReal)) {
                out.add(project);
            }
        }
        return List.copyOf(out);
    }

    /** The path with symlinks resolved when it exists (a project reached by a link is the same project). */
    private static Path real(Path p) {
        Path abs = p.toAbsolutePath().normalize();
        try {
            return Files.exists(abs) ? abs.toRealPath() : abs;
        } catch (IOException e) {
            return abs;
        }
    }
}
