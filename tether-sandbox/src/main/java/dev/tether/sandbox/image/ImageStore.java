package dev.tether.sandbox.image;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Where built images live: {@code /var/lib/tether/images/HASH/} with {@code rootfs/} and a
 * {@code manifest.json} written last (an image without one is an interrupted build), plus
 * {@code cache/} for base systems and {@code default} naming the image {@code tether <agent>} uses.
 */
public final class ImageStore {
    public static final Path DEFAULT_ROOT = Path.of("/var/lib/tether");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path root;

    public ImageStore(Path root) {
        this.root = root;
    }

    public Path root() {
        return root;
    }

    Path imageDir(String hash) {
        return root.resolve("images").resolve(hash);
    }

    Path cacheDir() {
        return root.resolve("cache");
    }

    public Optional<BuiltImage> find(String hash) {
        Path manifest = imageDir(hash).resolve("manifest.json");
        if (!Files.isRegularFile(manifest)) {
            return Optional.empty();
        }
        try {
            JsonNode n = JSON.readTree(manifest.toFile());
            List<String> agents = new ArrayList<>();
            n.path("agents").forEach(a -> agents.add(a.asText()));
            return Optional.of(new BuiltImage(hash, n.path("reference").asText(), imageDir(hash).resolve("rootfs"), agents,
                    n.path("imported").asBoolean(false)));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** The image named by {@code reference} if tether built it (so the built-in engine can run its rootfs). */
    public Optional<BuiltImage> byReference(String reference) {
        try (var s = Files.list(root.resolve("images"))) {
            for (Path dir : s.toList()) {
                Optional<BuiltImage> img = find(dir.getFileName().toString());
                if (img.isPresent() && img.get().reference().equals(reference)) {
                    return img;
                }
            }
        } catch (IOException e) {
            return Optional.empty();
        }
        return Optional.empty();
    }

    void writeManifest(ImageRecipe recipe, List<String> agentVersions, boolean imported) {
        ObjectNode n = JSON.createObjectNode();
        n.put("hash", recipe.hash()).put("reference", recipe.reference()).put("recipe", recipe.canonical())
                .put("imported", imported).put("created", java.time.Instant.now().toString());
        agentVersions.forEach(n.putArray("agents")::add);
        write(imageDir(recipe.hash()).resolve("manifest.json"), n.toPrettyString());
    }

    /** The image {@code tether <agent>} and {@code tether run} use when none is configured. */
    public Optional<BuiltImage> defaultImage() {
        Path f = root.resolve("default");
        try {
            return Files.isRegularFile(f) ? find(Files.readString(f).strip()) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    void setDefault(String hash) {
        write(root.resolve("default"), hash + "\n");
    }

    private static void write(Path file, String text) {
        try {
            Files.createDirectories(file.getParent());
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            Files.writeString(tmp, text);
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }
}
