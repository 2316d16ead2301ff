package dev.tether.learn;

import dev.tether.policy.model.PathNames;
import java.util.List;

/**
 * The two names a project has inside a sandbox: its own path and {@code /workspace} (tether mounts
 * it at both). The enforcing layers judge a file by every name it has — a forbid on any name
 * denies, else a permit on any name allows — so recorded paths may carry either name, and replay
 * must judge them the same way. Suggestions are written with the project's own path (the name
 * people read in their policy; the enforcing layers apply it to {@code /workspace} too).
 *
 * @param project the project directory as an absolute normalised path, or null when not known
 */
public record ProjectAliases(String project) {
    public static final String WORKSPACE = "/workspace";

    public ProjectAliases {
        if (project != null) {
            String n = PathNames.normalise(project);
            if (n == null) {
                throw new IllegalArgumentException("the project directory must be an absolute path, not " + project);
            }
            if (n.equals("/")) {
                throw new IllegalArgumentException("the project directory cannot be /");
            }
            project = n.equals(WORKSPACE) ? null : n;
        }
    }

    public static ProjectAliases none() {
        return new ProjectAliases(null);
    }

    /** Whether both names are known (a project other than {@code /workspace} itself). */
    public boolean known() {
        return project != null;
    }

    /** {@code path} first, then its other name if it has one. */
    public List<String> names(String path) {
        if (project == null) {
            return List.of(path);
        }
        String rest = under(path, WORKSPACE);
        if (rest != null) {
            return List.of(path, project + rest);
        }
        rest = under(path, project);
        if (rest != null) {
            return List.of(path, WORKSPACE + rest);
        }
        return List.of(path);
    }

    /** The project's own name for {@code path} when it is under {@code /workspace}; else {@code path}. */
    public String preferred(String path) {
        if (project == null) {
            return path;
        }
        String rest = under(path, WORKSPACE);
        return rest == null ? path : project + rest;
    }

    /** Whether {@code path} is the project or below it, by either name. */
    public boolean inProject(String path) {
        return under(path, WORKSPACE) != null || project != null && under(path, project) != null;
    }

    /** The part of {@code path} below {@code dir} ("" for {@code dir} itself), or null if not below it. */
    private static String under(String path, String dir) {
        if (path.equals(dir)) {
            return "";
        }
        return path.startsWith(dir) && path.length() > dir.length() && path.charAt(dir.length()) == '/'
                ? path.substring(dir.length())
                : null;
    }
}
