package dev.tether.kernel.cgroup;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** The mounts this process sees, from /proc/self/mountinfo. */
public record MountTable(List<Mount> mounts) {

    /** One mountinfo line: where it is mounted, which subtree of its filesystem, and the type. */
    public record Mount(Path mountPoint, String root, String fsType, String source, String options) {}

    public MountTable {
        mounts = List.copyOf(mounts);
    }

    public static MountTable read() {
        try {
            return parse(Files.readString(Path.of("/proc/self/mountinfo")));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read /proc/self/mountinfo", e);
        }
    }

    /**
     * Parses mountinfo text: {@code id parent major:minor root mountpoint options [optional...] -
     * fstype source superoptions}, with octal escapes (\040 for space) in paths.
     */
    public static MountTable parse(String mountinfo) {
        List<Mount> out = new ArrayList<>();
        for (String line : mountinfo.split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            String[] f = line.split(" ");
            int sep = -1;
            for (int i = 6; i < f.length; i++) {
                if (f[i].equals("-")) {
                    sep = i;
                    break;
                }
            }
            if (sep < 0 || sep + 1 >= f.length) {
                continue; // a malformed line: skip it rather than misread the table
            }
            String fsType = f[sep + 1];
            String source = sep + 2 < f.length ? unescape(f[sep + 2]) : "";
            out.add(new Mount(Path.of(unescape(f[4])), unescape(f[3]), fsType, source, f[5]));
        }
        return new MountTable(out);
    }

    public List<Mount> ofType(String fsType) {
        return mounts.stream().filter(m -> m.fsType().equals(fsType)).toList();
    }

    public Optional<Mount> at(Path mountPoint) {
        // The last mount at a path is the visible one.
        Mount found = null;
        for (Mount m : mounts) {
            if (m.mountPoint().equals(mountPoint)) {
                found = m;
            }
        }
        return Optional.ofNullable(found);
    }

    static String unescape(String s) {
        if (s.indexOf('\\') < 0) {
            return s;
        }
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 3 < s.length()
                    && isOctal(s.charAt(i + 1)) && isOctal(s.charAt(i + 2)) && isOctal(s.charAt(i + 3))) {
                b.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }

    private static boolean isOctal(char c) {
        return c >= '0' && c <= '7';
    }
}
