package dev.tether.kernel.mount;

import java.util.List;
import java.util.Map;

/** Changes the mounts of one running sandbox. */
public interface SandboxMountEditor {
    /**
     * Applies {@code changes} in order, each on its own (one that fails does not stop the next).
     *
     * @return the changes that failed, each with the reason (empty: all applied)
     */
    Map<MountChange, String> apply(List<MountChange> changes);
}
