package dev.tether.cli.session;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import org.junit.jupiter.api.Test;

class SessionIdsTest {
    @Test
    void idsSortByStartTimeAndAreRecognised() {
        SessionIds ids = new SessionIds();
        String a = ids.next(Instant.parse("2026-11-27T03:42:00Z"));
        String b = ids.next(Instant.parse("2026-11-27T03:43:00Z"));
        assertThat(a).startsWith("20261127-0342-").hasSize(20);
        assertThat(a).isLessThan(b);
        assertThat(SessionIds.isSessionId(a)).isTrue();
        // Cgroups other tools or tests create under tether/ are never taken for sessions.
        assertThat(SessionIds.isSessionId("t1")).isFalse();
        assertThat(SessionIds.isSessionId("20261127-0342-ABCDEF")).isFalse();
    }
}
