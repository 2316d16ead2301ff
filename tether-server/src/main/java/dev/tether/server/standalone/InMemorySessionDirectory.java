package dev.tether.server.standalone;

import dev.tether.policy.Mode;
import dev.tether.server.spi.SessionDirectory;
import dev.tether.server.spi.SessionView;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * A {@link SessionDirectory} the caller fills: each registered session comes with the action that
 * stops it (e.g. destroying its process tree). A session registered as not controllable is only
 * shown: stopping it or changing its mode is refused. Stands in for the session runtime in tests and in a
 * UI without a daemon.
 */
public final class InMemorySessionDirectory implements SessionDirectory {
    private record Entry(SessionView view, Runnable stopper) {}

    private final Map<String, Entry> sessions = new ConcurrentHashMap<>();
    private final List<Consumer<SessionView>> listeners = new CopyOnWriteArrayList<>();
    private volatile Mode defaultMode;

    public InMemorySessionDirectory(Mode defaultMode) {
        this.defaultMode = defaultMode;
    }

    /** Adds or replaces a session; {@code stopper} runs (once) when someone stops it. */
    public void register(SessionView view, Runnable stopper) {
        sessions.put(view.id(), new Entry(view, stopper));
        fire(view);
    }

    /** Records that a session ended on its own. */
    public void markExited(String id) {
        update(id, v -> with(v, SessionView.State.EXITED, v.mode(), Instant.now()));
    }

    @Override
    public List<SessionView> list() {
        List<SessionView> out = new ArrayList<>();
        sessions.values().forEach(e -> out.add(e.view()));
        out.sort(Comparator.comparing(SessionView::startedAt).reversed());
        return out;
    }

    @Override
    public Optional<SessionView> get(String id) {
        return Optional.ofNullable(sessions.get(id)).map(Entry::view);
    }

    @Override
    public boolean stop(String id) {
        Entry e = sessions.get(id);
        if (e == null) {
            return false;
        }
        requireControllable(e.view());
        if (e.view().state() == SessionView.State.EXITED) {
            return true;
        }
        update(id, v -> with(v, SessionView.State.STOPPING, v.mode(), null));
        e.stopper().run();
        update(id, v -> with(v, SessionView.State.EXITED, v.mode(), Instant.now()));
        return true;
    }

    @Override
    public boolean setMode(String id, Mode mode) {
        Entry e = sessions.get(id);
        if (e == null) {
            return false;
        }
        requireControllable(e.view());
        return update(id, v -> with(v, v.state(), mode, v.endedAt()));
    }

    private static void requireControllable(SessionView v) {
        if (!v.controllable()) {
            throw new UnsupportedOperationException("session " + v.id() + " is run by another tether process;"
                    + " this control plane only shows it");
        }
    }

    @Override
    public Mode defaultMode() {
        return defaultMode;
    }

    @Override
    public void setDefaultMode(Mode mode) {
        defaultMode = mode;
        for (String id : List.copyOf(sessions.keySet())) {
            update(id, v -> v.state() == SessionView.State.EXITED || !v.controllable() ? v
                    : with(v, v.state(), mode, v.endedAt()));
        }
    }

    @Override
    public AutoCloseable onChange(Consumer<SessionView> listener) {
        listeners.add(listener);
        return () -> listeners.remove(listener);
    }

    private boolean update(String id, java.util.function.UnaryOperator<SessionView> f) {
        Entry updated = sessions.computeIfPresent(id, (k, e) -> new Entry(f.apply(e.view()), e.stopper()));
        if (updated == null) {
            return false;
        }
        fire(updated.view());
        return true;
    }

    private static SessionView with(SessionView v, SessionView.State state, Mode mode, Instant ended) {
        return new SessionView(v.id(), v.agent(), v.principal(), v.command(), v.sandbox(), state, mode, v.startedAt(),
                ended, v.controllable(), v.counts());
    }

    private void fire(SessionView v) {
        for (Consumer<SessionView> l : listeners) {
            l.accept(v);
        }
    }
}
