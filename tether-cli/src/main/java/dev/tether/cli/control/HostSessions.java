package dev.tether.cli.control;

import dev.tether.cli.session.SessionIds;
import dev.tether.events.ActionCount;
import dev.tether.events.EventKind;
import dev.tether.events.store.AuditStore;
import dev.tether.events.store.AuditStoreException;
import dev.tether.events.store.SessionRecord;
import dev.tether.policy.Mode;
import dev.tether.policy.Principal;
import dev.tether.server.spi.ActivityEvent;
import dev.tether.server.spi.SessionDirectory;
import dev.tether.server.spi.SessionView;
import dev.tether.server.spi.SessionView.EventCounts;
import dev.tether.server.spi.SessionView.State;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * The sessions a control plane shows: those this process runs ({@link #register}: stoppable, their
 * mode switchable), and every other session the host's audit store recorded, read-only. Counts come
 * from the store (the whole session), state from the store's end record and, for a session still
 * open there, from whether the tether process holding its lock is alive.
 */
final class HostSessions implements SessionDirectory {
    /** A session this process runs. */
    interface GovernedSession {
        String id();

        Principal principal();

        List<String> command();

        /** The engine, e.g. {@code podman}, {@code builtin}. */
        String sandbox();

        Instant startedAt();

        /** The mode its layers apply now, or null when it only monitors (nothing to apply a mode to). */
        Mode mode();

        /** Switches every layer to {@code mode} live; {@link UnsupportedOperationException} when it only monitors. */
        void setMode(Mode mode);

        /** Stops it: kills every process in its sandbox; the session then ends as usual. */
        void stop();

        /**
         * Events known lost that no {@code EventsLost} record in the store counts yet: the kernel
         * ring buffer's overflows, which the session records when it ends. Shown with the
         * recorded loss while it runs, so a flood's loss is visible as it happens.
         */
        long unrecordedLoss();
    }

    /** Sessions read from the store for the list (the most recent). */
    static final int STORE_SESSIONS = 200;

    private static final class Own {
        final GovernedSession session;
        volatile State state = State.RUNNING;
        volatile Instant endedAt;

        Own(GovernedSession session) {
            this.session = session;
        }
    }

    private final AuditReader reader;
    private final Path lockDir;
    private final Map<String, Own> own = new ConcurrentHashMap<>();
    private final List<Consumer<SessionView>> listeners = new CopyOnWriteArrayList<>();
    private volatile Mode defaultMode;

    /**
     * @param lockDir where running sessions hold their lock files ({@code /run/tether/sessions})
     * @param defaultMode the mode this process starts sessions in
     */
    HostSessions(AuditReader reader, Path lockDir, Mode defaultMode) {
        this.reader = reader;
        this.lockDir = lockDir;
        this.defaultMode = defaultMode;
    }

    void register(GovernedSession s) {
        own.put(s.id(), new Own(s));
        get(s.id()).ifPresent(this::fire);
    }

    /** Follows session starts and ends from the event feed (the store has recorded them by then). */
    void observe(ActivityEvent e) {
        boolean end = e.action().equals(EventKind.SESSION_END.jsonName());
        if (e.session() == null || !end && !e.action().equals(EventKind.SESSION_START.jsonName())) {
            return;
        }
        Own o = own.get(e.session());
        if (o != null && end) {
            o.state = State.EXITED;
            o.endedAt = instant(e.timeNs());
        }
        get(e.session()).ifPresent(this::fire);
    }

    /** This process's session {@code id} is over (its control plane is closing). */
    void ended(String id) {
        Own o = own.get(id);
        if (o != null && o.state != State.EXITED) {
            o.state = State.EXITED;
            o.endedAt = Instant.now();
            get(id).ifPresent(this::fire);
        }
    }

    @Override
    public List<SessionView> list() {
        Map<String, SessionRecord> recorded = new LinkedHashMap<>();
        store().ifPresent(s -> {
            try {
                for (SessionRecord r : s.sessions(STORE_SESSIONS)) {
                    recorded.put(r.id(), r);
                }
            } catch (AuditStoreException e) {
                // The list still shows this process's own sessions.
            }
        });
        List<SessionView> out = new ArrayList<>();
        for (Own o : own.values()) {
            SessionRecord r = recorded.get(o.session.id());
            out.add(ownView(o, r != null ? r : record(o.session.id()).orElse(null)));
        }
        for (SessionRecord r : recorded.values()) {
            if (!own.containsKey(r.id())) {
                out.add(recordedView(r));
            }
        }
        out.sort(Comparator.comparing(SessionView::startedAt, Comparator.nullsLast(Comparator.reverseOrder())));
        return out;
    }

    @Override
    public Optional<SessionView> get(String id) {
        Own o = own.get(id);
        if (o != null) {
            return Optional.of(ownView(o, record(id).orElse(null)));
        }
        return record(id).map(this::recordedView);
    }

    @Override
    public boolean stop(String id) {
        Own o = own.get(id);
        if (o == null) {
            refuseIfRecorded(id, "stopped");
            return false;
        }
        if (o.state == State.EXITED) {
            return true;
        }
        o.state = State.STOPPING;
        get(id).ifPresent(this::fire);
        o.session.stop();
        return true;
    }

    @Override
    public boolean setMode(String id, Mode mode) {
        Own o = own.get(id);
        if (o == null) {
            refuseIfRecorded(id, "switched to another mode");
            return false;
        }
        if (o.state == State.EXITED) {
            throw new UnsupportedOperationException("session " + id + " has ended");
        }
        o.session.setMode(mode);
        get(id).ifPresent(this::fire);
        return true;
    }

    private void refuseIfRecorded(String id, String what) {
        if (record(id).isPresent()) {
            throw new UnsupportedOperationException("session " + id + " is run by another tether process (or has ended):"
                    + " it can only be " + what + " where it runs, not from this control plane");
        }
    }

    @Override
    public Mode defaultMode() {
        return defaultMode;
    }

    @Override
    public void setDefaultMode(Mode mode) {
        List<Own> running = own.values().stream().filter(o -> o.state != State.EXITED && o.session.mode() != null).toList();
        if (running.isEmpty()) {
            throw new UnsupportedOperationException("no session that enforces a policy runs under this control plane,"
                    + " so there is nothing to apply a mode to; a session's mode is set where it runs"
                    + " (tether run --mode, or that session's own control UI)");
        }
        for (Own o : running) {
            o.session.setMode(mode);
        }
        defaultMode = mode;
        for (Own o : running) {
            get(o.session.id()).ifPresent(this::fire);
        }
    }

    @Override
    public AutoCloseable onChange(Consumer<SessionView> listener) {
        listeners.add(listener);
        return () -> listeners.remove(listener);
    }

    private void fire(SessionView v) {
        for (Consumer<SessionView> l : listeners) {
            l.accept(v);
        }
    }

    private Optional<AuditStore> store() {
        return reader == null ? Optional.empty() : reader.store();
    }

    private Optional<SessionRecord> record(String id) {
        try {
            return store().flatMap(s -> s.session(id));
        } catch (AuditStoreException e) {
            return Optional.empty();
        }
    }

    private SessionView ownView(Own o, SessionRecord r) {
        GovernedSession s = o.session;
        return new SessionView(s.id(), s.principal().agent(), principalName(s.principal().agent()), s.command(),
                s.sandbox(), o.state, s.mode(), s.startedAt(), o.endedAt, true, r == null ? null : counts(r, s.unrecordedLoss()));
    }

    private SessionView recordedView(SessionRecord r) {
        boolean running = r.endNs() == null && lockHolderAlive(r.id());
        Instant ended = r.endNs() != null ? instant(r.endNs()) : running ? null : instant(r.lastNs());
        return new SessionView(r.id(), r.principal(), r.principal() == null ? null : principalName(r.principal()),
                r.command(), r.sandbox(), running ? State.RUNNING : State.EXITED,
                r.mode() == null ? null : Mode.fromConfigName(r.mode()).orElse(null),
                instant(r.startNs() != null ? r.startNs() : r.firstNs()), ended, false, counts(r, 0));
    }

    /**
     * Whether the tether process holding the session's lock is alive, read from the lock file (it
     * holds the pid). Only read, never locked: taking the lock even briefly could make the session's
     * own tether think another one runs it.
     */
    private boolean lockHolderAlive(String id) {
        if (!SessionIds.isSessionId(id)) {
            return false;
        }
        try {
            String pid = Files.readString(lockDir.resolve(id + ".lock"), StandardCharsets.US_ASCII).trim();
            return ProcessHandle.of(Long.parseLong(pid)).map(ProcessHandle::isAlive).orElse(false);
        } catch (IOException | NumberFormatException e) {
            return false;
        }
    }

    /** The session's counts from the store, with {@code unrecordedLoss} more lost events than it recorded so far. */
    static EventCounts counts(SessionRecord r, long unrecordedLoss) {
        long allowed = 0;
        long denied = 0;
        long wouldDeny = 0;
        for (ActionCount c : r.counts()) {
            switch (c.decision()) {
                case ALLOW -> allowed += c.count();
                case DENY -> denied += c.count();
                case WOULD_DENY -> wouldDeny += c.count();
                case NONE -> { }
            }
        }
        return new EventCounts(r.events(), allowed, denied, wouldDeny, r.eventsLost() + unrecordedLoss);
    }

    static String principalName(String agent) {
        return "Agent::\"" + agent.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    private static Instant instant(long ns) {
        return Instant.ofEpochSecond(Math.floorDiv(ns, 1_000_000_000L), Math.floorMod(ns, 1_000_000_000L));
    }
}
