package dev.tether.kernel.enforce;

import java.util.ArrayList;
import java.util.List;

/**
 * The other names a sandbox path has because one host directory is mounted at several places
 * (the project at its own path and at /workspace). A rule written against either name applies
 * to the file by both: a forbid on any name denies, a permit on any name allows.
 *
 * @param mounts pairs of sandbox mount points that show the same host directory
 */
public record PathAliases(List<List<String>> mounts) {
    public PathAliases {
        mounts = mounts.stream().map(List::copyOf).toList();
    }

    public static PathAliases none() {
        return new PathAliases(List.of());
    }

    /** The project mounted at {@code projectDir} and at {@code /workspace}. */
    public static PathAliases project(String projectDir) {
        if (projectDir.equals("/workspace")) {
            return none();
        }
        return new PathAliases(List.of(List.of(strip(projectDir), "/workspace")));
    }

    /** {@code path} first, then its other names. */
    public List<String> of(String path) {
        List<String> out = new ArrayList<>(2);
        out.add(path);
        for (List<String> group : mounts) {
            for (String mount : group) {
                String rest = under(path, mount);
                if (rest == null) {
                    continue;
                }
                for (String other : group) {
                    if (!other.equals(mount)) {
                        String alias = other + rest;
                        if (!out.contains(alias)) {
                            out.add(alias);
                        }
                    }
                }
            }
        }
        return out;
    }

    /** The part of {@code path} below {@code mount} ("" for the mount itself), or null if not under it. */
    private static String under(String path, String mount) {
        if (path.equals(mount)) {
            return "";
        }
        if (path.startsWith(mount) && path.charAt(mount.length()) == '/') {
            return path.substring(mount.length());
        }
        return null;
    }

    private static String strip(String dir) {
        return dir.length() > 1 && dir.endsWith("/") ? dir.substring(0, dir.length() - 1) : dir;
    }
}
