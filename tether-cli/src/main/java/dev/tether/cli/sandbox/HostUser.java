package dev.tether.cli.sandbox;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** The user tether acts for: under sudo, the invoking user (their home holds their config and agent logins). */
public final class HostUser {
    private HostUser() {}

    public static Path home(Map<String, String> env) {
        String sudoUser = env.get("SUDO_USER");
        if (sudoUser != null && !sudoUser.isEmpty() && !sudoUser.equals("root")) {
            try {
                for (String line : Files.readAllLines(Path.of("/etc/passwd"))) {
                    String[] f = line.split(":");
                    if (f.length >= 6 && f[0].equals(sudoUser)) {
                        return Path.of(f[5]);
                    }
                }
            } catch (IOException e) {
                // fall back to this process's home
            }
        }
        return Path.of(System.getProperty("user.home"));
    }
}
