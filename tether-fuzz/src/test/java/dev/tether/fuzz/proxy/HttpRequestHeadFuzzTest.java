package dev.tether.fuzz.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.BugDetectors;
import com.code_intelligence.jazzer.junit.DictionaryFile;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.JsonNode;
import dev.tether.proxy.ProxyConfig;
import dev.tether.proxy.TetherProxy;
import dev.tether.proxy.ca.CertificateAuthority;
import dev.tether.proxy.decide.HeaderRewrite;
import dev.tether.proxy.decide.ProxyDecisions;
import dev.tether.proxy.decide.Verdict;
import dev.tether.proxy.secret.SecretRedactor;
import dev.tether.proxy.secret.SecretResolver;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;

/**
 * HTTP request heads (and whatever follows them) sent by the sandbox to tether's explicit proxy,
 * over a real socket to a real {@link TetherProxy}. The proxy must answer or close within the
 * timeout, never fail with an exception it did not expect ({@link ProxyExceptionHooks} reports
 * those), and above all: it only ever dials a host and port the policy allowed for that host and
 * port, whatever the request line, Host header and absolute URI say.
 *
 * <p>The policy allows {@code allowed.test} on 80, 443 and 8080 and nothing else; every allowed
 * name resolves to a closed loopback port, so no request leaves the machine.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HttpRequestHeadFuzzTest {
    private static final Set<Integer> ALLOWED_PORTS = Set.of(80, 443, 8080);

    private record Dial(String host, int port) {}

    private final Set<Dial> allowed = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final List<Dial> dialed = new CopyOnWriteArrayList<>();
    private Path dir;
    private TetherProxy proxy;
    private int closedPort;

    private final class Policy implements ProxyDecisions {
        @Override
        public Verdict connect(String hostname, InetAddress address, int port) {
            if ("allowed.test".equals(hostname) && ALLOWED_PORTS.contains(port)) {
                allowed.add(new Dial(hostname, port));
                return Verdict.allow("permit web", "web");
            }
            return Verdict.deny("no permit matched", "");
        }

        @Override
        public Verdict mcpCall(String server, String tool, JsonNode arguments) {
            return Verdict.allow("permit");
        }

        @Override
        public List<HeaderRewrite> headerRewrites(String hostname, int port) {
            return List.of();
        }
    }

    @BeforeAll
    void start() throws Exception {
        dir = Files.createTempDirectory("tether-fuzz-proxy");
        try (var s = new java.net.ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = s.getLocalPort(); // free once closed: dials are refused at once
        }
        CertificateAuthority ca = CertificateAuthority.openOrCreate(dir.resolve("ca"));
        ProxyConfig cfg = new ProxyConfig(new InetSocketAddress("127.0.0.1", 0), null, null,
                (host, port) -> {
                    dialed.add(new Dial(host, port));
                    return new InetSocketAddress(InetAddress.getLoopbackAddress(), closedPort);
                },
                List.of(), Duration.ofSeconds(2), Duration.ofSeconds(2), 64 * 1024, 2);
        proxy = TetherProxy.start(cfg, ca, new Policy(), e -> {}, new SecretResolver(Map.of(), Map.of(), new SecretRedactor()));
    }

    @AfterAll
    void stop() throws IOException {
        proxy.close();
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    @FuzzTest
    @DictionaryFile(resourcePath = "http.dict")
    void httpRequestHead(byte[] input) throws IOException {
        InetSocketAddress at = proxy.explicitAddress();
        try (var permitted = BugDetectors.allowNetworkConnections((host, port) -> port == at.getPort() || port == closedPort);
                Socket s = new Socket()) {
            s.connect(at, 2000);
            // A hang detector, not a deadline: the proxy's own timeouts are 2 s, but a loaded CI host
            // (load 25 on 2 cores) has been seen to need more than 10 s to get there.
            s.setSoTimeout(60_000);
            s.getOutputStream().write(input);
            s.shutdownOutput();
            InputStream in = s.getInputStream();
            byte[] buf = new byte[8192];
            try {
                while (in.read(buf) >= 0) {
                    // drain until the proxy closes
                }
            } catch (SocketTimeoutException hang) {
                throw new AssertionError("the proxy neither answered nor closed within 60 s", hang);
            } catch (IOException reset) {
                // a reset is a refusal too
            }
        }
        for (Dial d : dialed) {
            assertThat(d.host()).as("dialed %s, allowed were %s", d, allowed).isEqualTo("allowed.test");
            assertThat(ALLOWED_PORTS).as("dialed %s", d).contains(d.port());
            assertThat(allowed).as("dialed %s without an allowed decision for it", d).contains(d);
        }
        // decisions stay: a dial may come after its connection is gone (resolution runs off the event loop)
        dialed.clear();
    }
}
