package dev.tether.cli.control;

import dev.tether.cli.policy.PolicySuggestCommand;
import dev.tether.cli.session.SessionEnforcement;
import dev.tether.cli.session.SessionLock;
import dev.tether.events.EventBus;
import dev.tether.kernel.cgroup.SandboxCgroup;
import dev.tether.learn.AuditStoreEvents;
import dev.tether.learn.PolicyLearning;
import dev.tether.learn.ProjectAliases;
import dev.tether.learn.suggest.SuggestOptions;
import dev.tether.policy.Mode;
import dev.tether.policy.Principal;
import dev.tether.server.ControlPlane;
import dev.tether.server.spi.EventSource;
import dev.tether.server.spi.PolicyControl;
import io.javalin.util.JavalinBindException;
import java.io.PrintWriter;
import java.net.BindException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * A session's control plane ({@code tether run}, {@code tether <agent>}): the REST API, live stream
 * and Control UI over this session's policy holder and enforcement, the host's audit store, and
 * the session itself (stop = kill its cgroup; mode = {@link SessionEnforcement#setMode}). Started
 * once the session's cgroup exists, closed when the session ends.
 *
 * <p>It starts on a thread of its own and prints its URL when it listens: loading the web server
 * takes seconds of class loading on a cold JVM (BENCHMARKS.md), which would otherwise delay every
 * session's command. It never fails the session: when the port is taken (another tether serves
 * its UI there) or anything else keeps it from starting, it says so in one line and the session
 * runs without it.
 */
public final class SessionControlPlane implements AutoCloseable {
    private final Object lock = new Object();
    private final CountDownLatch settled = new CountDownLatch(1);
    private List<AutoCloseable> parts = List.of(); // guarded by lock
    private ControlPlane plane; // guarded by lock
    private HostSessions sessions; // guarded by lock
    private String sessionId; // guarded by lock
    private boolean closed; // guarded by lock

    private SessionControlPlane() {}

    /** Serves nothing (disabled). */
    static SessionControlPlane none() {
        SessionControlPlane none = new SessionControlPlane();
        none.settled.countDown();
        return none;
    }

    /**
     * Starts serving in the background and returns at once; never throws. The URL with the access
     * token is printed to {@code err} once it listens.
     *
     * @param enforcement the session's policy and layers, or null when it only monitors
     * @param cgroup      the session's cgroup: stopping the session kills everything in it
     * @param unrecordedLoss events the session knows are lost but has not recorded yet (the kernel
     *                    ring buffer's, recorded when it ends), added to the recorded loss while it runs
     */
    public static SessionControlPlane start(ControlPlaneSettings settings, String sessionId, Principal principal,
            List<String> command, String sandbox, Path projectDir, SessionEnforcement enforcement, SandboxCgroup cgroup,
            LongSupplier unrecordedLoss, EventBus bus, PrintWriter err) {
        return start(settings, sessionId, principal, command, sandbox, projectDir, enforcement, cgroup, unrecordedLoss,
                bus, null, err);
    }

    /**
     * As above; {@code sessionStore} is the session's own audit writer (or null): when it writes
     * the database the UI reads, its committed batches reach the live feed without a read back.
     */
    public static SessionControlPlane start(ControlPlaneSettings settings, String sessionId, Principal principal,
            List<String> command, String sandbox, Path projectDir, SessionEnforcement enforcement, SandboxCgroup cgroup,
            LongSupplier unrecordedLoss, EventBus bus, dev.tether.events.store.AuditStore sessionStore, PrintWriter err) {
        if (!settings.enabled()) {
            return none();
        }
        SessionControlPlane cp = new SessionControlPlane();
        Governed governed = new Governed(sessionId, principal, List.copyOf(command), sandbox, Instant.now(),
                projectDir.toAbsolutePath().normalize(), enforcement, cgroup, unrecordedLoss);
        Thread.ofPlatform().daemon().name("tether-control-plane")
                .start(() -> cp.serve(settings, governed, bus, sessionStore, err));
        return cp;
    }

    private void serve(ControlPlaneSettings settings, Governed governed, EventBus bus,
                       dev.tether.events.store.AuditStore sessionStore, PrintWriter err) {
        List<AutoCloseable> built = new ArrayList<>();
        try {
            AuditReader reader = new AuditReader(settings.auditDatabase());
            built.add(reader);
            EventSource events;
            String partial = null;
            if (reader.store().isPresent()) {
                boolean sameFile = sessionStore != null && sameFile(sessionStore.file(), settings.auditDatabase());
                AuditEventSource audit = new AuditEventSource(reader, AuditEventSource.DEFAULT_POLL,
                        sameFile ? sessionStore : null);
                built.add(audit);
                events = audit;
            } else {
                // The session could not open the store either (it said so): serve what the bus carries.
                BusEventSource live = new BusEventSource(bus);
                built.add(live);
                events = live;
                partial = "tether: the control UI shows this session's events since it started only (the audit store "
                        + settings.auditDatabase() + " cannot be read"
                        + (reader.failure() == null ? "" : ": " + reader.failure()) + ")";
            }
            PolicyControl policy;
            SessionEnforcement enforcement = governed.enforcement();
            if (enforcement == null) {
                policy = new MonitorOnlyPolicy();
            } else {
                HolderPolicyControl holderPolicy = new HolderPolicyControl(enforcement.holder(),
                        () -> enforcement.current().snapshot(), governed.principal());
                built.add(holderPolicy);
                policy = holderPolicy;
            }
            PolicyLearning learning = null;
            if (reader.store().isPresent()) {
                // Suggestions and "what would change" over the same store, project paths as this session's.
                // Without it (the store cannot be read that way) they answer 503; the rest still serves.
                try {
                    AuditStoreEvents recorded = AuditStoreEvents.openReadOnly(settings.auditDatabase());
                    built.add(recorded);
                    learning = new PolicyLearning(recorded, SuggestOptions.defaults(
                            new ProjectAliases(governed.projectDir().toString()), PolicySuggestCommand.homes()));
                } catch (RuntimeException e) {
                    learning = null;
                }
            }
            Mode initial = enforcement == null ? Mode.ENFORCE : enforcement.current().mode();
            HostSessions directory = new HostSessions(reader, SessionLock.DIR, initial);
            directory.register(governed);
            built.add(events.subscribe("sessions", directory::observe));
            ControlPlane started = ControlPlane.start(settings.config(), policy, events, directory, learning);
            built.add(started);
            synchronized (lock) {
                if (closed) {
                    closeAll(built); // the session ended while this was starting: nobody to show it to
                    return;
                }
                parts = built;
                plane = started;
                sessions = directory;
                sessionId = governed.id();
                if (partial != null) {
                    err.println(partial);
                }
                err.println("tether: control UI: " + started.openUri());
                err.flush();
            }
        } catch (RuntimeException e) {
            closeAll(built);
            synchronized (lock) {
                if (!closed) {
                    String listen = settings.config().host() + ":" + settings.config().port();
                    err.println(isBindFailure(e)
                            ? "tether: " + listen + " is in use (another tether's control UI?): this session runs without"
                                    + " one; its events show in any tether UI on this host (tether ui)"
                            : "tether: the control UI could not start on " + listen + " (" + e.getMessage()
                                    + "); the session runs without it");
                    err.flush();
                }
            }
        } finally {
            settled.countDown();
        }
    }

    private static boolean isBindFailure(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof BindException || c instanceof JavalinBindException) {
                return true;
            }
        }
        return false;
    }

    /**
     * Waits until the control plane listens or gave up, and returns it (null: disabled or it could
     * not start). For tests and embedders; the session itself never waits for it.
     */
    public ControlPlane awaitStarted(Duration timeout) throws InterruptedException {
        settled.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
        synchronized (lock) {
            return plane;
        }
    }

    @Override
    public void close() {
        List<AutoCloseable> toClose;
        HostSessions directory;
        String id;
        synchronized (lock) {
            closed = true;
            toClose = parts;
            parts = List.of();
            directory = sessions;
            id = sessionId;
            plane = null;
        }
        if (directory != null) {
            directory.ended(id);
        }
        closeAll(toClose);
    }

    private static void closeAll(List<AutoCloseable> parts) {
        for (int i = parts.size() - 1; i >= 0; i--) {
            try {
                parts.get(i).close();
            } catch (Exception ignored) {
                // Closing a server or an in-process subscription: nothing left to do if it fails.
            }
        }
    }

    /** This session as the directory controls it. */
    private record Governed(String id, Principal principal, List<String> command, String sandbox, Instant startedAt,
            Path projectDir, SessionEnforcement enforcement, SandboxCgroup cgroup, LongSupplier loss)
            implements HostSessions.GovernedSession {
        @Override
        public long unrecordedLoss() {
            return loss.getAsLong();
        }

        @Override
        public Mode mode() {
            return enforcement == null ? null : enforcement.current().mode();
        }

        @Override
        public void setMode(Mode mode) {
            if (enforcement == null) {
                throw new UnsupportedOperationException("session " + id + " only monitors (--monitor-only):"
                        + " there is no policy to apply a mode to");
            }
            enforcement.setMode(mode);
        }

        @Override
        public void stop() {
            cgroup.kill();
        }
    }

    private static boolean sameFile(Path a, Path b) {
        try {
            return java.nio.file.Files.isSameFile(a, b);
        } catch (java.io.IOException e) {
            return false;
        }
    }
}
