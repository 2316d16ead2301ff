package dev.tether.kernel.event;

import dev.tether.events.KernelText;
import java.util.ArrayList;
import java.util.List;

/**
 * One path a file syscall was given, as captured at syscall exit.
 *
 * @param raw the argument as the process passed it, null when the call has none (fchmod, fchown)
 *     or it could not be read ({@code rawUnreadable})
 * @param dirfd the directory fd it is relative to ({@link #AT_FDCWD} for the working directory);
 *     for fchmod/fchown the file's fd
 * @param resolved the kernel-resolved path described by {@code resolution}, or null
 */
public record PathArgument(KernelString raw, boolean rawUnreadable, int dirfd, ResolvedPath resolved,
        Resolution resolution) {

    public static final int AT_FDCWD = -100;

    /** What {@link #resolved} is. */
    public enum Resolution {
        /** The object the call opened or named by fd: exact, after symlinks. */
        OPENED_FILE,
        /** The directory a relative raw path starts from (cwd or dirfd); joined lexically. */
        START_DIRECTORY,
        /** Nothing resolved: the raw path is absolute, or the start directory is unknown. */
        NONE
    }

    /**
     * The path the process asked for, made absolute: the raw path when absolute, else joined with
     * its start directory. {@code .}, {@code ..} and repeated slashes are resolved lexically (as
     * the policy engine does), not through the filesystem. Null when the raw path is unknown; the
     * raw path as it is when it was truncated or its start directory is unknown.
     */
    public KernelString requestedPath() {
        if (raw == null) {
            return null;
        }
        String r = raw.text();
        if (raw.truncated()) {
            return raw; // a prefix: normalising it could invent a path (a cut "..")
        }
        if (r.startsWith("/")) {
            return new KernelString(normalize(r), raw.escaped(), raw.truncated());
        }
        if (resolution == Resolution.START_DIRECTORY && resolved != null && resolved.complete()) {
            boolean escaped = raw.escaped() || resolved.escaped();
            String base = escaped && !resolved.escaped() ? KernelText.escape(resolved.path()) : resolved.path();
            String rel = escaped ? raw.escapedText() : r;
            return new KernelString(normalize(base + "/" + rel), escaped, raw.truncated());
        }
        return raw;
    }

    /**
     * The object operated on: the opened file's own path when the kernel resolved it, else
     * {@link #requestedPath()}.
     */
    public KernelString objectPath() {
        if (resolution == Resolution.OPENED_FILE && resolved != null && resolved.complete()) {
            return new KernelString(resolved.path(), resolved.escaped(), false);
        }
        KernelString requested = requestedPath();
        if (requested != null) {
            return requested;
        }
        if (resolved != null && resolution == Resolution.OPENED_FILE) {
            // Only the kernel's partial view is left (an fd outside the sandbox's root, a pipe).
            return new KernelString(resolved.path(), resolved.escaped(), resolved.truncated());
        }
        return null;
    }

    /** Lexical normalisation of an absolute path: drops {@code .}, empty segments and resolves {@code ..}. */
    static String normalize(String path) {
        if (path.indexOf("/.") < 0 && path.indexOf("//") < 0 && (path.length() == 1 || !path.endsWith("/"))) {
            return path;
        }
        List<String> parts = new ArrayList<>();
        for (String p : path.split("/")) {
            if (p.isEmpty() || p.equals(".")) {
                continue;
            }
            if (p.equals("..")) {
                if (!parts.isEmpty()) {
                    parts.removeLast();
                }
                continue;
            }
            parts.add(p);
        }
        return "/" + String.join("/", parts);
    }
}
