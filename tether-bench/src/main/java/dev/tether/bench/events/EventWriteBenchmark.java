package dev.tether.bench.events;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tether.events.Event;
import dev.tether.events.EventJson;
import dev.tether.events.EventWriter;
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
 * Writing an event as the audit store's JSON line (the store's writer thread does it for every
 * event), against the floor of Jackson writing the same JSON from an already built tree. Run with
 * C1 only, as {@code ./tether} runs the JVM.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-XX:TieredStopAtLevel=1"})
public class EventWriteBenchmark {
    private static final int EVENTS = 4096;
    private final ObjectMapper mapper = new ObjectMapper();
    private final EventWriter writer = new EventWriter(1 << 16);
    private Event[] events;
    private JsonNode[] trees;
    private int next;

    @Setup
    public void setUp() throws IOException {
        List<Event> mix = EventMix.generate(EVENTS, 7);
        EventJson json = new EventJson();
        events = mix.toArray(Event[]::new);
        trees = new JsonNode[EVENTS];
        for (int i = 0; i < EVENTS; i++) {
            trees[i] = mapper.readTree(json.writeBytes(events[i]));
        }
    }

    private int nextIndex() {
        int i = next;
        next = (next + 1) & (EVENTS - 1);
        return i;
    }

    @Benchmark
    public int eventWriterWrite() {
        writer.reset();
        writer.write(events[nextIndex()]);
        return writer.length();
    }

    @Benchmark
    public byte[] baselineJacksonWriteTree() throws IOException {
        return mapper.writeValueAsBytes(trees[nextIndex()]);
    }
}
