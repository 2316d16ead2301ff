package dev.tether.cli.control;

import dev.tether.events.store.AuditLocation;
import dev.tether.server.ControlPlaneConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Whether and where a session serves its control plane ({@code --ui-listen}, {@code --no-ui}), and
 * the audit database it reads.
 *
 * @param config       listen address, token and limits; null when disabled
 * @param auditDatabase the host's audit store, which the session records to
 */
public record ControlPlaneSettings(ControlPlaneConfig config, Path auditDatabase) {
    /** No control plane (tests that drive a session directly, {@code --no-ui}). */
    public static final ControlPlaneSettings DISABLED = new ControlPlaneSettings(null, null);

    /**
     * The system property through which the launcher names the UI's files it extracted from the jar
     * once per build (served from the jar, Jetty would mount all of it at every start).
     */
    public static final String UI_DIRECTORY_PROPERTY = "tether.ui.directory";

    public ControlPlaneSettings {
        if (config != null) {
            Objects.requireNonNull(auditDatabase, "auditDatabase");
        }
    }

    public boolean enabled() {
        return config != null;
    }

    /**
     * From the command line: {@code listen} is {@code HOST:PORT}, {@code [V6]:PORT}, {@code :PORT}
     * or {@code PORT} (loopback only: the control plane can change the policy). Throws
     * {@link IllegalArgumentException} with the reason for a bad or non-loopback address.
     */
    public static ControlPlaneSettings of(boolean noUi, String listen) {
        if (noUi) {
            return DISABLED;
        }
        ControlPlaneConfig config = withExtractedUi(ControlPlaneConfig.defaults());
        if (listen != null) {
            config = config.withListen(listen);
        }
        config.checkedBindAddress();
        return new ControlPlaneSettings(config, AuditLocation.defaultDatabase());
    }

    /** {@code config} serving the UI from the launcher's extracted copy when it names one that exists. */
    public static ControlPlaneConfig withExtractedUi(ControlPlaneConfig config) {
        String directory = System.getProperty(UI_DIRECTORY_PROPERTY);
        if (directory == null || directory.isBlank() || !Files.isRegularFile(Path.of(directory, "index.html"))) {
            return config;
        }
        return config.withUiDirectory(Path.of(directory));
    }
}
