package dev.tether.bench.proxy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tether.proxy.ca.CertificateAuthority;
import dev.tether.proxy.decide.HeaderRewrite;
import dev.tether.proxy.decide.ProxyDecisions;
import dev.tether.proxy.decide.Verdict;
import dev.tether.proxy.event.ProxyEventSink;
import dev.tether.proxy.mcp.McpConversation;
import dev.tether.proxy.mcp.SseEventSplitter;
import dev.tether.proxy.secret.SecretRedactor;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
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
 * The proxy's per-host and per-message costs in isolation: minting a leaf for a new host, judging
 * a tools/call, rewriting a tools/list answer, splitting an SSE event. The network path as a whole
 * is measured by {@link ProxyOverheadBench}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class ProxyHotPathBenchmark {
    private CertificateAuthority ca;
    private final AtomicLong hostCounter = new AtomicLong();
    private McpConversation conversation;
    private byte[] toolCall;
    private byte[] toolsList;
    private byte[] sseEvent;

    /** Permits everything but a forbidden tool: the decision itself is tether-policy's benchmark. */
    static final class Decisions implements ProxyDecisions {
        @Override
        public Verdict connect(String hostname, InetAddress address, int port) {
            return Verdict.allow("bench");
        }

        @Override
        public Verdict mcpCall(String server, String tool, JsonNode arguments) {
            return tool.equals("danger") ? Verdict.deny("forbid", "f") : Verdict.allow("permit", "p");
        }

        @Override
        public List<HeaderRewrite> headerRewrites(String hostname, int port) {
            return List.of();
        }
    }

    @Setup
    public void setup() throws Exception {
        ca = CertificateAuthority.openOrCreate(Files.createTempDirectory("tether-bench-ca").resolve("ca"));
        conversation = new McpConversation("bench", "server", new Decisions(), ProxyEventSink.discarding(), new SecretRedactor());
        toolCall = """
                {"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"read_text_file","arguments":{"path":"/workspace/src/main/java/App.java","head":200}}}"""
                .getBytes(StandardCharsets.UTF_8);
        StringBuilder tools = new StringBuilder("{\"jsonrpc\":\"2.0\",\"id\":%d,\"result\":{\"tools\":[");
        for (int i = 0; i < 20; i++) {
            tools.append(i == 0 ? "" : ",").append("{\"name\":\"").append(i == 7 ? "danger" : "tool" + i)
                    .append("\",\"description\":\"does thing ").append(i)
                    .append("\",\"inputSchema\":{\"type\":\"object\",\"properties\":{\"path\":{\"type\":\"string\"}}}}");
        }
        toolsList = tools.append("]}}").toString().getBytes(StandardCharsets.UTF_8);
        sseEvent = ("event: message\ndata: " + new String(toolCall, StandardCharsets.UTF_8) + "\n\n").getBytes(StandardCharsets.UTF_8);
    }

    @Benchmark
    public Object mintLeafForNewHost() {
        return ca.leafFor("h" + hostCounter.incrementAndGet() + ".bench.example");
    }

    @Benchmark
    public Object judgeToolCall() {
        Object j = conversation.judgeClient(toolCall);
        conversation.abandonPending("bench"); // keep the pending map from growing
        return j;
    }

    @Benchmark
    public Object filterToolsList() {
        conversation.judgeClient("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}".getBytes(StandardCharsets.UTF_8));
        return conversation.rewriteServer(String.format(new String(toolsList, StandardCharsets.UTF_8), 1).getBytes(StandardCharsets.UTF_8));
    }

    @Benchmark
    public Object splitSseEvent() {
        return new SseEventSplitter(1 << 20).feed(sseEvent, 0, sseEvent.length);
    }
}
