package dev.tether.server.spi;

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

    /** Asks the session to stop. Returns false if there is no such session. */
    boolean stop(String id);

    /** Changes a running session's mode. Returns false if there is no such session. */
    boolean setMode(String id, EnforcementMode mode);

    /** The mode new sessions start in. */
    EnforcementMode defaultMode();

    /** Changes the mode for new sessions and for every running session. */
    void setDefaultMode(EnforcementMode mode);

    /** Calls {@code listener} whenever a session starts, changes mode or state, or ends. */
    AutoCloseable onChange(Consumer<SessionView> listener);
}
