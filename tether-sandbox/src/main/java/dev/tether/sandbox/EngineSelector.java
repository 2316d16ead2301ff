package dev.tether.sandbox;

import dev.tether.kernel.ffm.LibC;
import dev.tether.sandbox.builtin.BuiltinEngine;
import dev.tether.sandbox.oci.ContainerEngine;
import dev.tether.sandbox.oci.EngineKind;
import java.util.List;

/**
 * Picks the engine for a run: the one asked for ({@code --engine} or config), else podman when
 * installed, else docker when its daemon runs, else the built-in sandbox. Detection looks only at
 * binaries and sockets, so it costs nothing at start; {@code tether doctor} runs them for real.
 */
public final class EngineSelector {
    public static final List<String> NAMES = List.of("podman", "docker", "builtin");

    private EngineSelector() {}

    public static SandboxEngine byName(String name, LibC libc) {
        return switch (name) {
            case "podman" -> ContainerEngine.detect(EngineKind.PODMAN);
            case "docker" -> ContainerEngine.detect(EngineKind.DOCKER);
            case "builtin" -> BuiltinEngine.detect(libc);
            default -> throw new IllegalArgumentException("unknown engine '" + name + "': use podman, docker or builtin");
        };
    }

    /** The default when nothing is asked for. */
    public static SandboxEngine detect(LibC libc) {
        for (EngineKind kind : EngineKind.values()) {
            ContainerEngine e = ContainerEngine.detect(kind);
            if (e.unavailableReason() == null) {
                return e;
            }
        }
        return BuiltinEngine.detect(libc);
    }
}
