package dev.tether.cli.log;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

class TimeSpecTest {
    private static final Instant NOW = Instant.parse("2025-11-27T12:00:00Z");
    private static final ZoneId PARIS = ZoneId.of("Europe/Paris");

    private static long ns(String iso) {
        Instant i = Instant.parse(iso);
        return i.getEpochSecond() * 1_000_000_000L + i.getNano();
    }

    @Test
    void durationsCountBackFromNow() {
        assertThat(TimeSpec.parse("10m", NOW, PARIS)).contains(ns("2025-11-27T11:50:00Z"));
        assertThat(TimeSpec.parse("90s", NOW, PARIS)).contains(ns("2025-11-27T11:58:30Z"));
        assertThat(TimeSpec.parse("1h30m", NOW, PARIS)).contains(ns("2025-11-27T10:30:00Z"));
        assertThat(TimeSpec.parse("2d", NOW, PARIS)).contains(ns("2025-11-25T12:00:00Z"));
        assertThat(TimeSpec.parse("1w", NOW, PARIS)).contains(ns("2025-11-20T12:00:00Z"));
    }

    @Test
    void timesInSeveralForms() {
        assertThat(TimeSpec.parse("2025-11-27T03:44:27.5Z", NOW, PARIS)).contains(ns("2025-11-27T03:44:27.5Z"));
        assertThat(TimeSpec.parse("2025-11-27T04:44:27+01:00", NOW, PARIS)).contains(ns("2025-11-27T03:44:27Z"));
        assertThat(TimeSpec.parse("2025-11-27 04:44", NOW, PARIS)).contains(ns("2025-11-27T03:44:00Z"));
        assertThat(TimeSpec.parse("2025-11-27", NOW, ZoneOffset.UTC)).contains(ns("2025-11-27T00:00:00Z"));
    }

    @Test
    void nonsenseIsRefused() {
        for (String s : new String[] {"", "yesterday", "10x", "m", "-5m", "99999999999999999999d", "2025-13-01"}) {
            assertThat(TimeSpec.parse(s, NOW, PARIS)).as(s).isEmpty();
        }
    }
}
