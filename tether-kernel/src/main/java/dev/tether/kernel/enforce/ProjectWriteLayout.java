package dev.tether.kernel.enforce;

import dev.tether.policy.PermitBounds;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * Which parts of the project the sandbox's mounts leave writable under a policy: the project
 * read-only except where some permit can allow a write. Deleting, renaming, linking and
 * truncating by path open nothing, so the file gate never judges them; on a read-only mount the
 * kernel refuses them (EROFS). The gate still judges every open on the writable parts.
 *
 * <p>Islands are project-relative paths ({@code "src"}, {@code "out/report.txt"}): an existing
 * directory a permit reaches as a whole, an existing file a permit names, or the nearest existing
 * directory above a permitted path that does not exist yet (to create it there). Those last ones
 * are {@code exposed}: their other entries can be deleted or renamed without being judged.
 *
 * @param wholeWritable nothing to make read-only (a permit reaches the whole project, or the mode
 *     does not enforce, or the project's top must stay writable for a permitted path to be created)
 * @param islands what stays writable inside a read-only project (empty when {@code wholeWritable})
 * @param exposed islands (or {@code ""} for the project's top) kept writable only so a permitted
 *     path can be created in them
 * @param guarded files and directories a forbid protects from writes, each mounted read-only
 *     wherever it lies (inside an island too), so deleting, renaming or linking them is refused
 */
public record ProjectWriteLayout(boolean wholeWritable, List<String> islands, List<String> exposed, List<String> guarded) {
    public ProjectWriteLayout {
        islands = List.copyOf(islands);
        exposed = List.copyOf(exposed);
        guarded = List.copyOf(guarded);
    }

    public ProjectWriteLayout(boolean wholeWritable, List<String> islands, List<String> exposed) {
        this(wholeWritable, islands, exposed, List.of());
    }

    /** The project left as it is. */
    public static ProjectWriteLayout writable() {
        return new ProjectWriteLayout(true, List.of(), List.of());
    }

    /**
     * This layout with {@code paths} (host paths in the project, e.g. what a forbid protects from
     * writes) mounted read-only where they lie; paths outside the project are left out.
     */
    public ProjectWriteLayout guarding(List<Path> paths, Path project) {
        List<String> rel = paths.stream().filter(p -> p.startsWith(project) && !p.equals(project))
                .map(p -> project.relativize(p).toString()).filter(r -> r.indexOf('\n') < 0).distinct().sorted().toList();
        return new ProjectWriteLayout(wholeWritable, islands, exposed, rel);
    }

    /**
     * The layout for a policy's write bounds.
     *
     * @param writes where some permit can allow {@code FileOpenReadWrite} ({@link PermitBounds#writes})
     * @param project the project's real host path
     * @param names the project's names in the sandbox (its own path, {@code /workspace})
     * @param keptReadOnly host paths tether mounts read-only whatever the policy (its policy
     *     directory, its own files, what a forbid protects): never made writable by an island
     */
    public static ProjectWriteLayout derive(List<PermitBounds.PermittedPath> writes, Path project, List<String> names,
                                            List<Path> keptReadOnly) {
        TreeSet<String> islands = new TreeSet<>();
        TreeSet<String> exposed = new TreeSet<>();
        for (PermitBounds.PermittedPath w : writes) {
            for (String name : names) {
                if (w.hierarchy() && covers(w.path(), name)) {
                    return writable();
                }
                if (!w.path().startsWith(name + "/") || w.path().length() == name.length() + 1) {
                    continue;
                }
                String rel = w.path().substring(name.length() + 1);
                String creatableIn = place(project, rel, islands);
                if (creatableIn != null) {
                    if (creatableIn.isEmpty()) {
                        return new ProjectWriteLayout(true, List.of(), List.of(""));
                    }
                    islands.add(creatableIn);
                    exposed.add(creatableIn);
                }
            }
        }
        List<String> kept = keptReadOnly.stream().filter(p -> p.startsWith(project) && !p.equals(project))
                .map(p -> project.relativize(p).toString()).toList();
        List<String> outermost = new ArrayList<>();
        for (String island : islands) { // sorted: a directory comes before what lies below it
            boolean inside = outermost.stream().anyMatch(o -> island.startsWith(o + "/"));
            boolean protectedByTether = kept.stream().anyMatch(k -> island.equals(k) || island.startsWith(k + "/"));
            if (!inside && !protectedByTether && island.indexOf('\n') < 0) {
                outermost.add(island);
            }
        }
        exposed.retainAll(outermost);
        return new ProjectWriteLayout(false, outermost, List.copyOf(exposed));
    }

    /**
     * Adds the island for a permit on {@code rel}: the path itself when it exists (a directory or a
     * file, reached without a symbolic link). Returns the nearest existing directory above it when
     * it does not exist yet ({@code ""}: the project's top), or null.
     */
    private static String place(Path project, String rel, TreeSet<String> islands) {
        Path at = project;
        String[] parts = rel.split("/");
        StringBuilder done = new StringBuilder();
        for (int i = 0; i < parts.length; i++) {
            Path next = at.resolve(parts[i]);
            BasicFileAttributes attrs;
            try {
                attrs = Files.readAttributes(next, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            } catch (IOException missing) {
                return done.toString();
            }
            if (attrs.isSymbolicLink()) {
                // The gate judges where a link leads, not its name: a permit on the name writes nothing.
                return null;
            }
            if (i < parts.length - 1 && !attrs.isDirectory()) {
                return null; // below a file: nothing can be there
            }
            if (!done.isEmpty()) {
                done.append('/');
            }
            done.append(parts[i]);
            at = next;
        }
        islands.add(done.toString());
        return null;
    }

    private static boolean covers(String dir, String path) {
        return dir.equals("/") || path.equals(dir) || path.startsWith(dir + "/");
    }
}
