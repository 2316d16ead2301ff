package dev.tether.cli.session;

import dev.tether.sandbox.BindMount;
import dev.tether.sandbox.config.TetherConfig;
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
 * config and data directories (the CA), and its installation, which a later root tether runs
 * ({@link Installed}). What of them the project holds is mounted read-only in its sandbox, and the
 * whole project when it lies inside one of them.
 *
 * @param protectedDirs config and data directories
 * @param installation  what tether runs from
 */
public record OwnFiles(List<Path> protectedDirs, List<Installed> installation) {
    public OwnFiles {
        protectedDirs = List.copyOf(protectedDirs);
        installation = List.copyOf(installation);
    }

    /** A place tether runs from, and which of its parts a project lying inside it could change. */
    public sealed interface Installed permits Installed.JarDirectory, Installed.Whole {
        Path root();

        /** Whether a project at {@code rel} under {@link #root()} (non-empty) holds or lies in a part tether runs from. */
        boolean runsFrom(Path rel);

        /**
         * The running jar's directory: the jar and what the launcher keeps beside it under the jar's
         * name (the AOT cache, the extracted native libraries). The directory itself is protected
         * when the project holds it (a sandbox could create those names there); a project inside it
         * reaches none of them unless it lies in one.
         */
        record JarDirectory(Path root, String jarName) implements Installed {
            @Override
            public boolean runsFrom(Path rel) {
                String first = rel.getName(0).toString();
                String base = jarName.endsWith(".jar") ? jarName.substring(0, jarName.length() - 4) : jarName;
                return first.equals(jarName) || first.startsWith(base + ".");
            }
        }

        /**
         * Read as a whole: the launcher's source tree ({@code TETHER_HOME}: launcher, scripts, sources,
         * Maven wrapper, .git with its hooks, and the modules' target/, whose classes a rebuild
         * packages again), the JDK, the Maven repository a source tree's rebuild runs plugins from.
         */
        record Whole(Path root) implements Installed {
            @Override
            public boolean runsFrom(Path rel) {
                return true;
            }
        }
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
        List<Installed> installation = new ArrayList<>();
        String tetherHome = env.get("TETHER_HOME");
        if (tetherHome != null && tetherHome.startsWith("/")) {
            Path tree = Path.of(tetherHome);
            installation.add(new Installed.Whole(tree));
            if (Files.exists(tree.resolve("mvnw"))) {
                installation.add(new Installed.Whole(home.resolve(".m2"))); // the rebuild runs Maven and its plugins
            }
        }
        if (codeSource != null) {
            installation.add(codeSource.toString().endsWith(".jar") && codeSource.getParent() != null
                    ? new Installed.JarDirectory(codeSource.getParent(), codeSource.getFileName().toString())
                    : new Installed.Whole(codeSource)); // classes: the directory is the code
        }
        installation.add(new Installed.Whole(javaHome));
        return new OwnFiles(List.of(TetherConfig.defaultFile(env, home).getParent(), TetherDirs.data(env, home)), installation);
    }

    /**
     * The config and data directories that lie in {@code project}, named under {@code project}
     * (the project itself when it lies inside one of them): to mount read-only at its names.
     */
    List<Path> protectedInside(Path project) {
        Path projectReal = real(project);
        Set<Path> out = new LinkedHashSet<>();
        for (Path p : protectedDirs) {
            overlap(p, project, projectReal, rel -> true, out);
        }
        return List.copyOf(out);
    }

    /** The parts of the installation the project holds (named as in {@link #protectedInside}), or the project. */
    List<Path> installationInside(Path project) {
        Path projectReal = real(project);
        Set<Path> out = new LinkedHashSet<>();
        for (Installed i : installation) {
            overlap(i.root(), project, projectReal, i::runsFrom, out);
        }
        return List.copyOf(out);
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

    /** Which of tether's own files a writable volume of {@code dir} would expose (as for a project there). */
    public List<Path> overlappedBy(Path dir) {
        List<Path> out = new ArrayList<>(protectedInside(dir));
        out.addAll(installationInside(dir));
        return out;
    }

    /** Adds {@code own} named under the project when the project holds it, or the project when it lies in a part of it. */
    private static void overlap(Path own, Path project, Path projectReal, java.util.function.Predicate<Path> runsFrom,
                                Set<Path> out) {
        Path ownReal = real(own);
        if (ownReal.startsWith(projectReal)) {
            out.add(project.resolve(projectReal.relativize(ownReal)).normalize());
        } else if (projectReal.startsWith(ownReal) && runsFrom.test(ownReal.relativize(projectReal))) {
            out.add(project);
        }
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
