package dev.tether.server;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * How the control plane listens and how much it accepts.
 *
 * @param host                 address to bind; loopback unless {@code allowNonLoopback}
 * @param port                 TCP port; 0 picks a free one (tests)
 * @param allowNonLoopback     the explicit opt-in to listen beyond this machine
 * @param token                the access token every request must present
 * @param maxBodyBytes         larger request bodies are refused with 413
 * @param streamBacklog        events sent to a live-stream client when it connects
 * @param clientQueueCapacity  messages a live-stream client may fall behind before events are skipped for it
 * @param heartbeat            interval of heartbeat messages on the live stream; a client with a full queue
 *                             that takes nothing for three of them is dropped
 * @param uiDirectory          the built UI's files in a directory, or null to serve them from the
 *                             classpath (served from a jar, Jetty mounts the whole jar as a zip file
 *                             system to find them: 0.1-0.2 s of CPU per start for tether's 20,000-entry jar)
 */
public record ControlPlaneConfig(
        String host,
        int port,
        boolean allowNonLoopback,
        AccessToken token,
        int maxBodyBytes,
        int streamBacklog,
        int clientQueueCapacity,
        Duration heartbeat,
        Path uiDirectory) {

    public static final String DEFAULT_HOST = "127.0.0.1";
    public static final int DEFAULT_PORT = 18080;

    public ControlPlaneConfig {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(token, "token");
        Objects.requireNonNull(heartbeat, "heartbeat");
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port out of range: " + port);
        }
        if (maxBodyBytes < 1024) {
            throw new IllegalArgumentException("maxBodyBytes must be at least 1024");
        }
        if (streamBacklog < 0 || streamBacklog > 100_000) {
            throw new IllegalArgumentException("streamBacklog must be between 0 and 100000");
        }
        if (clientQueueCapacity < 16) {
            throw new IllegalArgumentException("clientQueueCapacity must be at least 16");
        }
        if (heartbeat.isNegative() || heartbeat.isZero()) {
            throw new IllegalArgumentException("heartbeat must be positive");
        }
    }

    /** 127.0.0.1:18080, a fresh random token, 1 MiB bodies, 10,000 events of backlog, 10 s heartbeats. */
    public static ControlPlaneConfig defaults() {
        return new ControlPlaneConfig(
                DEFAULT_HOST, DEFAULT_PORT, false, AccessToken.random(), 1 << 20, 10_000, 16_384, Duration.ofSeconds(10), null);
    }

    public ControlPlaneConfig withListen(String newHost, int newPort) {
        return new ControlPlaneConfig(newHost, newPort, allowNonLoopback, token, maxBodyBytes, streamBacklog,
                clientQueueCapacity, heartbeat, uiDirectory);
    }

    public ControlPlaneConfig withAllowNonLoopback(boolean allow) {
        return new ControlPlaneConfig(host, port, allow, token, maxBodyBytes, streamBacklog, clientQueueCapacity,
                heartbeat, uiDirectory);
    }

    public ControlPlaneConfig withToken(AccessToken newToken) {
        return new ControlPlaneConfig(host, port, allowNonLoopback, newToken, maxBodyBytes, streamBacklog,
                clientQueueCapacity, heartbeat, uiDirectory);
    }

    public ControlPlaneConfig withStream(int backlog, int queueCapacity, Duration newHeartbeat) {
        return new ControlPlaneConfig(host, port, allowNonLoopback, token, maxBodyBytes, backlog, queueCapacity,
                newHeartbeat, uiDirectory);
    }

    public ControlPlaneConfig withUiDirectory(Path directory) {
        return new ControlPlaneConfig(host, port, allowNonLoopback, token, maxBodyBytes, streamBacklog,
                clientQueueCapacity, heartbeat, directory);
    }

    public ControlPlaneConfig withMaxBodyBytes(int bytes) {
        return new ControlPlaneConfig(host, port, allowNonLoopback, token, bytes, streamBacklog, clientQueueCapacity,
                heartbeat, uiDirectory);
    }

    /**
     * Parses {@code HOST:PORT}, {@code [V6]:PORT}, {@code :PORT} or {@code PORT}; a missing host means
     * 127.0.0.1.
     */
    public ControlPlaneConfig withListen(String listen) {
        String s = listen.trim();
        String h = DEFAULT_HOST;
        String p;
        if (s.startsWith("[")) {
            int close = s.indexOf(']');
            if (close < 0 || close + 1 >= s.length() || s.charAt(close + 1) != ':') {
                throw new IllegalArgumentException("bad listen address '" + listen + "': expected [V6ADDR]:PORT");
            }
            h = s.substring(1, close);
            p = s.substring(close + 2);
        } else if (s.contains(":")) {
            int colon = s.lastIndexOf(':');
            if (colon > 0) {
                h = s.substring(0, colon);
            }
            p = s.substring(colon + 1);
        } else {
            p = s;
        }
        int parsed;
        try {
            parsed = Integer.parseInt(p);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bad listen address '" + listen + "': port '" + p + "' is not a number");
        }
        return withListen(h, parsed);
    }

    /**
     * Resolves {@link #host} and refuses a non-loopback address unless {@link #allowNonLoopback}:
     * the control plane can change the policy, so it must not be reachable from the network by
     * accident.
     */
    public InetAddress checkedBindAddress() {
        InetAddress addr;
        try {
            addr = InetAddress.getByName(host);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("cannot resolve listen host '" + host + "'", e);
        }
        if (!addr.isLoopbackAddress() && !allowNonLoopback) {
            throw new IllegalArgumentException("refusing to listen on non-loopback address " + addr.getHostAddress()
                    + ": the control plane can change the policy; pass the explicit opt-in"
                    + " (--allow-remote) if you really want that");
        }
        return addr;
    }
}
