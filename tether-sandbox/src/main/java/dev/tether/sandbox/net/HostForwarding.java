package dev.tether.sandbox.net;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * Turns on IP forwarding, which NAT egress from the sandbox needs (as podman and docker do).
 * IPv6 forwarding makes the kernel ignore router advertisements on interfaces with
 * {@code accept_ra=1}; those are switched to {@code accept_ra=2} first so the host keeps its
 * IPv6 routes. Never turned off again: other sandboxes (or engines) may rely on it.
 */
final class HostForwarding {
    private static final Path PROC = Path.of("/proc/sys/net");

    private HostForwarding() {}

    static void enable() {
        write(PROC.resolve("ipv4/ip_forward"), "1");
        Path v6 = PROC.resolve("ipv6/conf");
        if (!Files.isDirectory(v6)) {
            return; // IPv6 disabled on this host
        }
        if (read(v6.resolve("all/forwarding")).equals("1")) {
            return;
        }
        try (Stream<Path> s = Files.list(v6)) {
            for (Path iface : s.toList()) {
                String name = iface.getFileName().toString();
                if (!name.equals("all") && !name.equals("default") && !name.equals("lo")
                        && read(iface.resolve("accept_ra")).equals("1")) {
                    write(iface.resolve("accept_ra"), "2");
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + v6, e);
        }
        write(v6.resolve("all/forwarding"), "1");
    }

    private static String read(Path p) {
        try {
            return Files.readString(p).strip();
        } catch (IOException e) {
            return "";
        }
    }

    private static void write(Path p, String value) {
        try {
            if (!read(p).equals(value)) {
                Files.writeString(p, value);
            }
        } catch (IOException e) {
            throw new NetworkSetupException("cannot set " + p + " to " + value + ": " + e.getMessage());
        }
    }
}
