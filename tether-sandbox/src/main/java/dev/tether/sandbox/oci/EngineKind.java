package dev.tether.sandbox.oci;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** The container engines tether drives through their CLI. */
public enum EngineKind {
    PODMAN("podman"),
    DOCKER("docker");

    private final String cliName;

    EngineKind(String cliName) {
        this.cliName = cliName;
    }

    public String cliName() {
        return cliName;
    }

    Path locate() {
        String path = System.getenv("PATH");
        List<String> dirs = new java.util.ArrayList<>(List.of((path == null ? "" : path).split(":")));
        dirs.addAll(List.of("/usr/local/bin", "/usr/bin", "/bin"));
        for (String d : dirs) {
            if (!d.isEmpty() && Files.isExecutable(Path.of(d, cliName))) {
                return Path.of(d, cliName);
            }
        }
        return Path.of("/usr/bin", cliName);
    }

    boolean runcAvailable() {
        return Files.isExecutable(Path.of("/usr/sbin/runc")) || Files.isExecutable(Path.of("/usr/bin/runc"));
    }
}
