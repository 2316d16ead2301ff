package dev.tether.server;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;
import com.fasterxml.jackson.databind.ser.std.ToStringSerializer;
import dev.tether.events.Verdict;
import dev.tether.learn.PolicyLearning;
import dev.tether.policy.Mode;
import dev.tether.server.http.ControlRoutes;
import dev.tether.server.policy.CompletionEngine;
import dev.tether.server.policy.ObservedResources;
import dev.tether.server.spi.EventSource;
import dev.tether.server.spi.PolicyControl;
import dev.tether.server.spi.SessionDirectory;
import dev.tether.server.stream.LiveStreamEndpoint;
import dev.tether.server.stream.LiveStreamHub;
import dev.tether.server.stream.SessionCounters;
import dev.tether.server.stream.StreamMessage;
import io.javalin.Javalin;
import io.javalin.compression.CompressionStrategy;
import io.javalin.http.staticfiles.Location;
import io.javalin.json.JavalinJackson;
import java.net.InetAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The control plane: REST API, live event stream and the Control UI, on one loopback port,
 * token-protected. Build it with {@link #start}; it subscribes to the event source, the policy and
 * the sessions for the live stream and unsubscribes on {@link #close}.
 */
public final class ControlPlane implements AutoCloseable {
    /** Where the built UI lives on the classpath (written by the front-end build). */
    public static final String UI_RESOURCE_DIR = "/tether-ui";

    private final ControlPlaneConfig config;
    private final Javalin app;
    private final LiveStreamHub hub;
    private final List<AutoCloseable> subscriptions;
    private final String host;

    private ControlPlane(ControlPlaneConfig config, Javalin app, LiveStreamHub hub, List<AutoCloseable> subscriptions,
            String host) {
        this.config = config;
        this.app = app;
        this.hub = hub;
        this.subscriptions = subscriptions;
        this.host = host;
    }

    /** The JSON mapper used on the wire: records as objects, instants as ISO-8601 strings. */
    public static ObjectMapper wireMapper() {
        ObjectMapper m = new ObjectMapper();
        SimpleModule wire = new SimpleModule("tether-wire");
        wire.addSerializer(Instant.class, ToStringSerializer.instance);
        // The policy module's mode and the events module's verdict travel by their documented
        // lower-case names (enforce, would-deny), as in the config file and the audit trail.
        wire.addSerializer(Mode.class, new StdSerializer<>(Mode.class) {
            @Override
            public void serialize(Mode m, JsonGenerator g, SerializerProvider p) throws java.io.IOException {
                g.writeString(m.configName());
            }
        });
        wire.addSerializer(Verdict.class, new StdSerializer<>(Verdict.class) {
            @Override
            public void serialize(Verdict v, JsonGenerator g, SerializerProvider p) throws java.io.IOException {
                g.writeString(v.jsonName());
            }
        });
        m.registerModule(wire);
        m.disable(SerializationFeature.FAIL_ON_EMPTY_BEANS);
        return m;
    }

    /**
     * Binds and starts serving, without a recording to learn from (suggestions and "what would
     * change" answer 503). Throws {@link IllegalArgumentException} for a non-loopback address
     * without the opt-in, and a {@link RuntimeException} if the port is taken.
     */
    public static ControlPlane start(ControlPlaneConfig config, PolicyControl policy, EventSource events,
            SessionDirectory sessions) {
        return start(config, policy, events, sessions, null);
    }

    /**
     * Binds and starts serving, with {@code learning} (the recorded activity, e.g. over the audit
     * store; null for none) behind {@code /api/suggestions}, {@code /suggest} and
     * {@code /api/policies/replay}.
     */
    public static ControlPlane start(ControlPlaneConfig config, PolicyControl policy, EventSource events,
            SessionDirectory sessions, PolicyLearning learning) {
        InetAddress bind = config.checkedBindAddress();
        ObjectMapper mapper = wireMapper();
        // A live client gets a message at least every heartbeat: one that took nothing for three
        // while its queue stayed full has stopped reading.
        LiveStreamHub hub = new LiveStreamHub(config.clientQueueCapacity(), config.heartbeat().multipliedBy(3));
        SessionCounters counters = new SessionCounters();
        ObservedResources observed = new ObservedResources(512);
        List<AutoCloseable> subs = new ArrayList<>();
        subs.add(events.subscribe("control-plane", e -> {
            counters.record(e);
            observed.record(e);
            hub.publish(new StreamMessage.EventMessage(e));
        }));
        subs.add(policy.onChange(p -> hub.publish(new StreamMessage.PolicyChanged(p))));
        subs.add(sessions.onChange(s -> hub.publish(new StreamMessage.SessionChanged(s))));

        AtomicReference<Set<String>> authorities = new AtomicReference<>(Set.of());
        LiveStreamEndpoint stream = new LiveStreamEndpoint(hub, events, policy, sessions, mapper,
                config.streamBacklog(), config.heartbeat());
        ControlRoutes routes = new ControlRoutes(config.token(), authorities::get, policy, events, sessions, counters,
                new CompletionEngine(observed), stream, mapper, learning);
        Path uiDirectory = config.uiDirectory();
        boolean uiBuilt = uiDirectory != null ? Files.isRegularFile(uiDirectory.resolve("index.html"))
                : ControlPlane.class.getResource(UI_RESOURCE_DIR + "/index.html") != null;
        Javalin app = Javalin.create(cfg -> {
            cfg.jetty.host = bind.getHostAddress();
            cfg.jetty.port = config.port();
            cfg.http.maxRequestSize = config.maxBodyBytes();
            cfg.http.compressionStrategy = CompressionStrategy.NONE;
            // Platform threads, time-sliced by the kernel. On virtual threads, which the JDK never
            // preempts, a live-stream client's loop in an event flood (a full 1,000-event frame
            // every time, never parking) held one of the 2 carriers of a 2-core host, two such
            // clients held both, and every other request waited: a 50-event query took 6 s in
            // ResilienceIT's flood (BENCHMARKS.md "Control plane under an event flood").
            cfg.concurrency.useVirtualThreads = false;
            cfg.startup.showJavalinBanner = false;
            cfg.jsonMapper(new JavalinJackson(mapper, false));
            if (uiBuilt) {
                cfg.staticFiles.add(sf -> {
                    sf.hostedPath = "/";
                    sf.directory = uiDirectory != null ? uiDirectory.toString() : UI_RESOURCE_DIR;
                    sf.location = uiDirectory != null ? Location.EXTERNAL : Location.CLASSPATH;
                    sf.headers = Map.of("Cache-Control", "no-cache");
                });
            }
            routes.register(cfg.routes, uiBuilt);
        });
        try {
            app.start();
        } catch (RuntimeException e) {
            closeAll(subs);
            throw e;
        }
        int port = app.port();
        String hostLiteral = bind.getHostAddress().contains(":") ? "[" + bind.getHostAddress() + "]" : bind.getHostAddress();
        Set<String> allowed = new java.util.HashSet<>();
        for (String h : List.of("127.0.0.1", "localhost", "[::1]", hostLiteral.toLowerCase(Locale.ROOT),
                config.host().toLowerCase(Locale.ROOT))) {
            allowed.add(h + ":" + port);
        }
        authorities.set(Set.copyOf(allowed));
        return new ControlPlane(config, app, hub, subs, hostLiteral);
    }

    public int port() {
        return app.port();
    }

    /** {@code http://127.0.0.1:PORT/} (no token). */
    public URI baseUri() {
        return URI.create("http://" + host + ":" + port() + "/");
    }

    /**
     * The ready-to-open URL with the token, {@code http://127.0.0.1:PORT/?token=...}. The page
     * moves the token to session storage and removes it from the address bar and history.
     */
    public URI openUri() {
        return URI.create(baseUri() + "?token=" + config.token().reveal());
    }

    public ControlPlaneConfig config() {
        return config;
    }

    /** Live-stream statistics (connected and dropped clients), for tests and diagnostics. */
    public LiveStreamHub streamHub() {
        return hub;
    }

    @Override
    public void close() {
        closeAll(subscriptions);
        app.stop();
    }

    private static void closeAll(List<AutoCloseable> subs) {
        for (AutoCloseable s : subs) {
            try {
                s.close();
            } catch (Exception ignored) {
                // Unsubscribing from an in-process source cannot meaningfully fail.
            }
        }
    }
}
