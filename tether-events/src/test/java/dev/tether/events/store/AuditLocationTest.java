package dev.tether.events.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AuditLocationTest {
    @Test
    void followsXdgThenHomeThenTheOverride() {
        Path home = Path.of("/home/ann");
        assertThat(AuditLocation.resolve(Map.of(), home)).isEqualTo(Path.of("/home/ann/.local/share/tether/audit.db"));
        assertThat(AuditLocation.resolve(Map.of("XDG_DATA_HOME", "/data"), home)).isEqualTo(Path.of("/data/tether/audit.db"));
        assertThat(AuditLocation.resolve(Map.of("XDG_DATA_HOME", "relative/dir"), home))
                .isEqualTo(Path.of("/home/ann/.local/share/tether/audit.db"));
        assertThat(AuditLocation.resolve(Map.of("XDG_DATA_HOME", "/data", "TETHER_AUDIT_DB", "/tmp/x.db"), home))
                .isEqualTo(Path.of("/tmp/x.db"));
        assertThat(AuditLocation.resolve(Map.of(), Path.of("/root"))).isEqualTo(Path.of("/root/.local/share/tether/audit.db"));
    }
}
