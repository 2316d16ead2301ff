package dev.tether.events;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The schema's size budget: an event is at most 1 KB of JSON on average over a realistic mix. */
class EventSizeTest {
    @Test
    void averageJsonSizeOfARealisticMixIsUnderOneKilobyte() {
        EventJson json = new EventJson();
        List<Event> events = RealisticEvents.generate(20_000, 1);
        long bytes = 0;
        long max = 0;
        for (Event e : events) {
            int n = json.writeBytes(e).length;
            bytes += n;
            max = Math.max(max, n);
        }
        double avg = (double) bytes / events.size();
        System.out.printf("event JSON size over a realistic mix of %d: average %.0f bytes, max %d%n", events.size(), avg, max);
        assertThat(avg).isLessThanOrEqualTo(1024);
    }
}
