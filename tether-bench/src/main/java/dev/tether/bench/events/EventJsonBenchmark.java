package dev.tether.bench.events;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tether.events.Event;
import dev.tether.events.EventJson;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Reading an event back from its JSON (what the audit store's readers do for every event: the
 * control plane's live feed and queries, {@code tether log}, policy replay), against the floor of
 * parsing the same bytes into Jackson's generic tree. Run with C1 only, as {@code ./tether} runs
 * the JVM.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-XX:TieredStopAtLevel=1"})
public class EventJsonBenchmark {
    private static final int EVENTS = 4096;
    private final EventJson json = new EventJson();
    private final ObjectMapper mapper = new ObjectMapper();
    private byte[][] encoded;
    private int next;

    @Setup
    public void setUp() {
        List<Event> mix = EventMix.generate(EVENTS, 7);
        encoded = new byte[EVENTS][];
        for (int i = 0; i < EVENTS; i++) {
            encoded[i] = json.writeBytes(mix.get(i));
        }
    }

    private byte[] nextEvent() {
        byte[] b = encoded[next];
        next = (next + 1) & (EVENTS - 1);
        return b;
    }

    @Benchmark
    public Event eventJsonRead() {
        return json.read(nextEvent());
    }

    @Benchmark
    public JsonNode baselineJacksonTree() throws IOException {
        return mapper.readTree(nextEvent());
    }
}
