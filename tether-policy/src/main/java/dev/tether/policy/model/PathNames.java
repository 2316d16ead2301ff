package dev.tether.policy.model;

import java.util.ArrayList;
import java.util.List;

/**
 * Path normalisation and the canonical forms of {@code File::} and {@code Dir::} ids. A request
 * path is normalised lexically ({@code .}, {@code ..}, repeated and trailing {@code /}); policy
 * ids must already be in that form, because an id that is not can never be an ancestor of a
 * request and would be a silently dead rule.
 */
public final class PathNames {
    private PathNames() {}

    /** The normalised form of an absolute path, or null if it is not absolute. */
    public static String normalise(String path) {
        if (path.isEmpty() || path.charAt(0) != '/') {
            return null;
        }
        if (isNormal(path)) {
            return path;
        }
        List<String> parts = new ArrayList<>();
        for (String c : path.split("/")) {
            if (c.isEmpty() || c.equals(".")) {
                continue;
            }
            if (c.equals("..")) {
                if (!parts.isEmpty()) {
                    parts.remove(parts.size() - 1);
                }
                continue;
            }
            parts.add(c);
        }
        return parts.isEmpty() ? "/" : "/" + String.join("/", parts);
    }

    /** Fast check that needs no allocation for the common already-normal path. */
    static boolean isNormal(String p) {
        int n = p.length();
        if (n == 1) {
            return true;
        }
        if (p.charAt(n - 1) == '/') {
            return false;
        }
        int compStart = 1;
        for (int i = 1; i <= n; i++) {
            if (i == n || p.charAt(i) == '/') {
                int len = i - compStart;
                if (len == 0) {
                    return false;
                }
                if (p.charAt(compStart) == '.' && (len == 1 || (len == 2 && p.charAt(compStart + 1) == '.'))) {
                    return false;
                }
                compStart = i + 1;
            }
        }
        return true;
    }

    /** True if {@code id} is a canonical {@code File::} id. */
    public static boolean isCanonicalFile(String id) {
        return !id.isEmpty() && id.charAt(0) == '/' && isNormal(id);
    }

    /**
     * True if {@code id} is a canonical {@code Dir::} id: a normalised absolute path, with or
     * without one trailing {@code /} (both spellings name the same directory).
     */
    public static boolean isCanonicalDir(String id) {
        if (id.equals("/")) {
            return true;
        }
        String body = id.endsWith("/") ? id.substring(0, id.length() - 1) : id;
        return isCanonicalFile(body) && !body.equals("/");
    }

    /** The canonical Dir spelling of something a user wrote, or null if it is not absolute. */
    public static String suggestDir(String id) {
        String n = normalise(id);
        if (n == null) {
            return null;
        }
        return n.equals("/") ? "/" : n + "/";
    }

    /**
     * Every {@code Dir::} id a normalised path is a member of, in the reference entity model:
     * {@code /}, then {@code q} and {@code q/} for every component prefix {@code q} of the path,
     * the path itself included.
     */
    public static List<String> dirAncestors(String normalisedPath) {
        List<String> out = new ArrayList<>();
        out.add("/");
        if (normalisedPath.equals("/")) {
            return out;
        }
        for (int i = 1; i <= normalisedPath.length(); i++) {
            if (i == normalisedPath.length() || normalisedPath.charAt(i) == '/') {
                String q = normalisedPath.substring(0, i);
                out.add(q);
                out.add(q + "/");
            }
        }
        return out;
    }
}
