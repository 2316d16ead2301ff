package dev.tether.cli.session;

import dev.tether.sandbox.config.TetherConfig;
import dev.tether.sandbox.BindMount;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * tether's own files on the host, which a sandbox may never change whatever the policy says: its
 * config and data directories (the CA), and its installation, which a later root tether runs:
 * the launcher's tree ({@code TETHER_HOME}: launcher, sources it rebuilds from, the built jar),
 * the running jar's directory (its AOT cache and native libraries beside it), the JDK, and the
 * Maven repository a source installation's rebuild runs plugins from. Those the project holds,
 * or the whole project when it lies inside one of them, are mounted read-only in its sandbox.
 *
 * @param protectedDirs config and data directories
 * @param installation  what tether runs from
 */
public record OwnFiles(List<Path> protectedDirs, List<Path> installation) {
    public OwnFiles {
        protectedDirs = List.copyOf(protectedDirs);
        installation = List.copyOf(installation);
    }

    public static OwnFiles ofThisProcess() {
        Path codeSource = null;
        try {
            codeSource = Path.of(OwnFiles.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException | RuntimeException e) {
            // no code source (not run from a file): nothing to name
        }
        return of(System.getenv(), Path.of(System.getProperty("user.home")), codeSource,
                Path.of(System.getProperty("java.home")));
    }

    static OwnFiles of(Map<String, String> env, Path home, Path codeSource, Path javaHome) {
        List<Path> installation = new ArrayList<>();
        String tetherHome = env.get("TETHER_HOME");
        if (tetherHome != null && tetherHome.startsWith("/")) {
            Path tree = Path.of(tetherHome);
            installation.add(tree);
            if (Files.exists(tree.resolve("mvnw"))) {
                installation.add(home.resolve(".m2")); // the launcher's rebuild runs Maven and its plugins
            }
        }
        if (codeSource != null) {
            // a jar: its directory (the AOT cache and native libraries sit beside it); classes: that directory
            installation.add(codeSource.toString().endsWith(".jar") && codeSource.getParent() != null
                    ? codeSource.getParent() : codeSource);
        }
        installation.add(javaHome);
        return new OwnFiles(List.of(TetherConfig.defaultFile(env, home).getParent(), TetherDirs.data(env, home)), installation);
    }

    /**
     * The config and data directories that lie in {@code project}, named under {@code project}
     * (the project itself when it lies inside one of them): to mount read-only at its names.
     */
    List<Path> protectedInside(Path project) {
        return overlapping(protectedDirs, project);
    }

    /** The parts of the installation the project holds (named as in {@link #protectedInside}), or the project. */
    List<Path> installationInside(Path project) {
        return overlapping(installation, project);
    }

    /**
     * What of tether's own files to mount read-only in a sandbox of {@code project} (those that
     * exist), each announced on {@code err}.
     */
    List<Path> readOnlyPaths(Path project, PrintWriter err) {
        List<Path> out = new ArrayList<>();
        for (Path p : protectedInside(project)) {
            if (Files.exists(p)) {
                err.println("tether: " + p + " holds tether's config or CA: read-only in the sandbox"
                        + (p.equals(project) ? ", and so is the whole project" : ""));
                out.add(p);
            }
        }
        for (Path p : installationInside(project)) {
            if (Files.exists(p) && !out.contains(project)) { // (inside a read-only project: nothing more to say)
                err.println("tether: " + p + " is part of what tether runs from (its installation): read-only in the sandbox"
                        + (p.equals(project)
                                ? ", and so is the whole project; run tether from an installation outside the project to let the agent change it"
                                : ""));
                out.add(p);
            }
        }
        return out;
    }

    /** Read-only bind mounts of {@code paths} inside the project, at both of its names (its own and /workspace). */
    public static List<BindMount> atProjectNames(Path project, List<Path> paths) {
        List<BindMount> out = new ArrayList<>();
        for (Path p : new LinkedHashSet<>(paths)) {
            if (!p.startsWith(project) || !Files.exists(p)) {
                continue;
            }
            out.add(new BindMount(p, p.toString(), true));
            String rel = project.relativize(p).toString();
            out.add(new BindMount(p, rel.isEmpty() ? "/workspace" : "/workspace/" + rel, true));
        }
        return out;
    }

    /** Which of tether's own files {@code dir} holds or lies inside (a volume there must be read-only). */
    public List<Path> overlappedBy(Path dir) {
        List<Path> all = new ArrayList<>(protectedDirs);
        all.addAll(installation);
        List<Path> out = new ArrayList<>();
        Path dirReal = real(dir);
        for (Path p : all) {
            Path ownReal = real(p);
            if (ownReal.startsWith(dirReal) || dirReal.startsWith(ownReal)) {
                out.add(p);
            }
        }
        return out;
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
