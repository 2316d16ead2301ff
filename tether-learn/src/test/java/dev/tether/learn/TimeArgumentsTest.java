package dev.tether.learn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.time.ZoneId;
import org.junit.jupiter.api.Test;

class TimeArgumentsTest {
    static final Instant NOW = Instant.parse("2026-11-27T12:00:00Z");
    static final ZoneId BERLIN = ZoneId.of("Europe/Berlin");

    static long ns(String instant) {
        Instant i = Instant.parse(instant);
        return i.getEpochSecond() * 1_000_000_000L + i.getNano();
    }

    @Test
    void durationsBackFromNow() {
        assertThat(TimeArguments.parse("90s", NOW, BERLIN)).isEqualTo(ns("2026-11-27T11:58:30Z"));
        assertThat(TimeArguments.parse("1h30m", NOW, BERLIN)).isEqualTo(ns("2026-11-27T10:30:00Z"));
        assertThat(TimeArguments.parse("1w", NOW, BERLIN)).isEqualTo(ns("2026-11-20T12:00:00Z"));
        assertThat(TimeArguments.parse("2d", NOW, BERLIN)).isEqualTo(ns("2026-11-25T12:00:00Z"));
    }

    @Test
    void instantsLocalTimesAndDates() {
        assertThat(TimeArguments.parse("2026-11-27T05:29:51.5Z", NOW, BERLIN)).isEqualTo(ns("2026-11-27T05:29:51.500Z"));
        assertThat(TimeArguments.parse("2026-11-27T06:29:51+01:00", NOW, BERLIN)).isEqualTo(ns("2026-11-27T05:29:51Z"));
        assertThat(TimeArguments.parse("2026-11-27 06:29", NOW, BERLIN)).isEqualTo(ns("2026-11-27T05:29:00Z"));
        assertThat(TimeArguments.parse("2026-11-27", NOW, BERLIN)).isEqualTo(ns("2026-11-26T23:00:00Z"));
    }

    @Test
    void anythingElseSaysWhatIsAccepted() {
        assertThatThrownBy(() -> TimeArguments.parse("yesterday", NOW, BERLIN)).hasMessageContaining("is not a time")
                .hasMessageContaining("2h");
        assertThatThrownBy(() -> TimeArguments.parse("99999999999999999999w", NOW, BERLIN)).hasMessageContaining("is not a time");
        for (String s : new String[] {"", "10x", "m", "-5m", "99999999999999999999d", "2026-13-01"}) {
            assertThatThrownBy(() -> TimeArguments.parse(s, NOW, BERLIN)).as(s).hasMessageContaining("is not a time");
        }
    }
}
