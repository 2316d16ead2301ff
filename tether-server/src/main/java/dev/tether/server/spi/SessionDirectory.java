package dev.tether.server.spi;

import dev.tether.policy.Mode;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * What the control plane needs from the session runtime: which sessions exist, stop one, change
 * its mode. The daemon implements it over its sessions; {@link
 * dev.tether.server.standalone.InMemorySessionDirectory} is a self-contained implementation.
 */
public interface SessionDirectory {
    List<SessionView> list();

    Optional<SessionView> get(String id);

    /**
     * Asks the session to stop. Returns false if there is no such session; throws
     * {@link UnsupportedOperationException} (answered 409, with its message) when the session exists
     * but this control plane cannot stop it (another tether process runs it).
     */
    boolean stop(String id);

    /**
     * Changes a running session's mode. Returns false if there is no such session; throws
     * {@link UnsupportedOperationException} (409) when it cannot change that session's mode.
     */
    boolean setMode(String id, Mode mode);

    /** The mode new sessions start in. */
    Mode defaultMode();

    /**
     * Changes the mode for new sessions and for every running session this directory controls;
     * throws {@link UnsupportedOperationException} (409) when it controls none and so cannot apply it.
     */
    void setDefaultMode(Mode mode);

    /** Calls {@code listener} whenever a session starts, changes mode or state, or ends. */
    AutoCloseable onChange(Consumer<SessionView> listener);
}
