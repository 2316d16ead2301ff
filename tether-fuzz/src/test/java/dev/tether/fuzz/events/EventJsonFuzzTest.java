package dev.tether.fuzz.events;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.DictionaryFile;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.tether.events.Event;
import dev.tether.events.EventFormatException;
import dev.tether.events.EventJson;

/**
 * Events in their JSON form come back in through the API and {@code tether log --import}: any
 * bytes either read as an event or are refused with {@link EventFormatException}, and an event
 * that was read writes back to JSON that reads as the same event (and the same JSON again).
 */
class EventJsonFuzzTest {
    private final EventJson json = new EventJson();

    @FuzzTest
    @DictionaryFile(resourcePath = "event.dict")
    void eventJson(byte[] input) {
        Event event;
        try {
            event = json.read(input);
        } catch (EventFormatException refused) {
            assertThat(refused.getMessage()).isNotNull();
            return;
        }
        assertThat(event).isNotNull();
        String written = json.write(event);
        Event again = json.read(written);
        assertThat(again).as("round trip of %s", written).isEqualTo(event);
        assertThat(json.write(again)).isEqualTo(written);
    }
}
