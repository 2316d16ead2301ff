package dev.tether.kernel.probe;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The running kernel's release as uname(2) reports it ("6.18.44-tether", "5.15.0-91-generic"):
 * for the few choices made by kernel version because no probe can make them, e.g. behaviour the
 * kernel allows on older releases only with a warning in its log.
 */
public record KernelRelease(int major, int minor) implements Comparable<KernelRelease> {
    private static final Pattern LEADING = Pattern.compile("^(\\d+)\\.(\\d+)");

    /** Parses the leading "MAJOR.MINOR" of a release string. */
    public static KernelRelease parse(String release) {
        Matcher m = LEADING.matcher(release == null ? "" : release.strip());
        if (!m.find()) {
            throw new IllegalArgumentException("not a kernel release: '" + release + "' (expected MAJOR.MINOR...)");
        }
        return new KernelRelease(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)));
    }

    /**
     * The kernel this JVM runs on (the JVM reads uname's release into os.version at start); empty
     * when that is no MAJOR.MINOR release, and the caller then chooses what is safe on any kernel.
     */
    public static Optional<KernelRelease> running() {
        try {
            return Optional.of(parse(System.getProperty("os.version")));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    public boolean atLeast(int major, int minor) {
        return compareTo(new KernelRelease(major, minor)) >= 0;
    }

    @Override
    public int compareTo(KernelRelease o) {
        return major != o.major ? Integer.compare(major, o.major) : Integer.compare(minor, o.minor);
    }

    @Override
    public String toString() {
        return major + "." + minor;
    }
}
