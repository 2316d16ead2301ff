package dev.tether.cli.session;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class PhaseTimingsTest {
    /** A /proc/self/stat line whose process started 1234.56 s after boot (123456 ticks, field 22). */
    private static String statLine(String comm) {
        StringBuilder s = new StringBuilder("4242 (" + comm + ") S");
        for (int field = 4; field <= 21; field++) {
            s.append(' ').append(field * 11); // fields 4..21: anything but the start time
        }
        s.append(" 123456");
        for (int field = 23; field <= 52; field++) {
            s.append(' ').append(0);
        }
        return s.append('\n').toString();
    }

    @Test
    void theProcessAgeIsTheUptimeMinusItsStartTime() {
        assertThat(PhaseTimings.processAgeNs(statLine("java"), "1236.06 4000.00\n"))
                .isEqualTo(1_500_000_000L);
    }

    @Test
    void aNameWithSpacesAndParenthesesDoesNotShiftTheFields() {
        assertThat(PhaseTimings.processAgeNs(statLine("a) (b c) x"), "1234.66 1.00\n"))
                .isEqualTo(100_000_000L);
    }

    @Test
    void thisProcessIsOlderThanNothingAndYoungerThanTheMachine() throws Exception {
        long age = PhaseTimings.processAgeNs(Files.readString(Path.of("/proc/self/stat")), Files.readString(Path.of("/proc/uptime")));
        double uptimeNs = Double.parseDouble(Files.readString(Path.of("/proc/uptime")).split("\\s+")[0]) * 1e9;
        assertThat(age).isPositive();
        assertThat((double) age).isLessThanOrEqualTo(uptimeNs);
        // This JVM has run this test, so it has been up at least as long as its own uptime says.
        long jvmUptimeNs = java.lang.management.ManagementFactory.getRuntimeMXBean().getUptime() * 1_000_000L;
        assertThat(age).isGreaterThanOrEqualTo(jvmUptimeNs - 30_000_000L); // /proc clocks tick every 10 ms
    }

    @Test
    void aSparesHandOverIsCountedFromTheClientsStart() {
        assertThat(PhaseTimings.handoverNote("1080000000,1125500000", 1_000_000_000L)).contains(
                "spare: the client's connection accepted 80.0 ms and its command taken (request read and checked,"
                        + " stdio taken) 125.5 ms after the client started");
        assertThat(PhaseTimings.handoverNote(null, 0)).isEmpty();
        assertThat(PhaseTimings.handoverNote("12,x", 0)).isEmpty();
    }
}
