package dev.tether.sandbox.net;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;

/**
 * Hands out {@link NetworkSlot}s: slot {@code i} belongs to whoever created the file {@code dir/i}
 * (O_EXCL), which is atomic across processes, so two tethers starting at once never pick the same
 * addresses. The file holds the owner's session id so a sweeper can free slots of dead sessions.
 */
public final class NetworkSlots {
    /** A slot and the session that holds it. */
    public record Claim(NetworkSlot slot, String sessionId) {}

    private final Path dir;

    public NetworkSlots(Path dir) {
        this.dir = dir;
    }

    public NetworkSlot allocate(String sessionId) {
        List<InetAddress> hostAddresses = hostAddresses();
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + dir, e);
        }
        int start = ThreadLocalRandom.current().nextInt(NetworkSlot.COUNT);
        for (int i = 0; i < NetworkSlot.COUNT; i++) {
            NetworkSlot slot = new NetworkSlot((start + i) % NetworkSlot.COUNT);
            if (hostAddresses.stream().anyMatch(slot::contains4)) {
                continue; // the host already uses this range (another tool, or a leftover)
            }
            try {
                Files.writeString(dir.resolve(Integer.toString(slot.index())), sessionId, StandardCharsets.UTF_8,
                        java.nio.file.StandardOpenOption.CREATE_NEW, java.nio.file.StandardOpenOption.WRITE);
                return slot;
            } catch (FileAlreadyExistsException e) {
                // taken; try the next
            } catch (IOException e) {
                throw new UncheckedIOException("cannot claim network slot in " + dir, e);
            }
        }
        throw new NetworkSetupException("all " + NetworkSlot.COUNT + " sandbox network slots are in use");
    }

    public void release(NetworkSlot slot) {
        try {
            Files.deleteIfExists(dir.resolve(Integer.toString(slot.index())));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public List<Claim> claims() {
        List<Claim> out = new ArrayList<>();
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.toList()) {
                String name = p.getFileName().toString();
                if (!name.matches("\\d{1,5}") || Integer.parseInt(name) >= NetworkSlot.COUNT) {
                    continue;
                }
                owner(p).ifPresent(owner -> out.add(new Claim(new NetworkSlot(Integer.parseInt(name)), owner)));
            }
        } catch (NoSuchFileException e) {
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    private static Optional<String> owner(Path p) {
        try {
            return Optional.of(Files.readString(p, StandardCharsets.UTF_8).strip());
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private static List<InetAddress> hostAddresses() {
        List<InetAddress> out = new ArrayList<>();
        try {
            var ifs = NetworkInterface.getNetworkInterfaces();
            while (ifs != null && ifs.hasMoreElements()) {
                NetworkInterface nif = ifs.nextElement();
                // tether's own veths are accounted for by the slot files
                if (!nif.getName().matches("tth\\d+")) {
                    nif.getInetAddresses().asIterator().forEachRemaining(out::add);
                }
            }
        } catch (SocketException e) {
            // no interface list: rely on the slot files alone
        }
        return out;
    }
}
