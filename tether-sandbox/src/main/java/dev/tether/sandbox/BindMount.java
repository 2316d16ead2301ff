package dev.tether.sandbox;

import java.nio.file.Path;

/**
 * A host path made visible inside the sandbox.
 *
 * @param host absolute host path (file or directory)
 * @param target absolute path inside the sandbox
 */
public record BindMount(Path host, String target, boolean readOnly) {
    public BindMount {
        if (!host.isAbsolute()) {
            throw new IllegalArgumentException("bind mount source must be absolute: " + host);
        }
        if (!target.startsWith("/")) {
            throw new IllegalArgumentException("bind mount target must be absolute: " + target);
        }
    }

    /**
     * Parses docker's {@code -v HOST:TARGET[:ro|rw]} syntax; a relative HOST is taken relative to
     * {@code base}, {@code ~} to {@code home}.
     *
     * @throws IllegalArgumentException with a message a user can act on
     */
    public static BindMount parse(String spec, Path base, Path home) {
        String[] parts = spec.split(":", -1);
        if (parts.length < 2 || parts.length > 3 || parts[0].isEmpty() || parts[1].isEmpty()) {
            throw new IllegalArgumentException("volume '" + spec + "' is not HOST:TARGET[:ro|rw] (e.g. ~/data:/data:ro)");
        }
        boolean ro = false;
        if (parts.length == 3) {
            for (String opt : parts[2].split(",")) {
                switch (opt) {
                    case "ro" -> ro = true;
                    case "rw", "z", "Z", "" -> { }
                    default -> throw new IllegalArgumentException("volume '" + spec + "': unknown mode '" + opt
                            + "' (use ro or rw)");
                }
            }
        }
        String h = parts[0];
        Path host;
        if (h.equals("~")) {
            host = home;
        } else if (h.startsWith("~/")) {
            host = home.resolve(h.substring(2));
        } else {
            host = base.resolve(h);
        }
        if (!parts[1].startsWith("/")) {
            throw new IllegalArgumentException("volume '" + spec + "': the target '" + parts[1]
                    + "' must be an absolute path inside the sandbox");
        }
        return new BindMount(host.toAbsolutePath().normalize(), parts[1], ro);
    }

    /** docker/podman {@code -v} syntax. */
    public String toVolumeArgument() {
        return host + ":" + target + (readOnly ? ":ro" : ":rw");
    }
}
