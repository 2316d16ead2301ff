package dev.tether.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.proxy.event.HttpExchangeEvent;
import dev.tether.proxy.event.ProxyNotice;
import dev.tether.proxy.testing.Cmd;
import dev.tether.proxy.testing.Origin;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The explicit proxy (HTTP_PROXY/HTTPS_PROXY) driven by real curl against real local HTTPS origins. */
class ExplicitProxyTest {
    static ProxyFixture fx;
    static Origin origin;
    static Origin plain;
    static Path caFile;

    @BeforeAll
    static void start() throws Exception {
        fx = new ProxyFixture(Duration.ofSeconds(3), ProxyFixture.loopback());
        origin = fx.httpsOrigin("allowed.test", "a.wild.test", "deep.a.wild.test", "wild.test", "evilwild.test", "secret.test", "denied.test");
        plain = Origin.http();
        fx.rules.permitHost("p-allowed", "allowed.test")
                .permitHost("p-wild", "*.wild.test")
                .permitHost("p-secret", "secret.test")
                .permitHost("p-plain", "plain.test")
                .forbidHost("f-denied", "denied.test")
                .rewrite("r-key", "secret.test", "X-Api-Key", "secret:TEST_API_KEY");
        caFile = fx.tetherCa.certificatePath();
    }

    @AfterAll
    static void stop() {
        if (origin != null) origin.close();
        if (plain != null) plain.close();
        if (fx != null) fx.close();
    }

    static Cmd.Result curl(String... args) throws Exception {
        List<String> argv = new ArrayList<>(List.of("curl", "-sS", "--max-time", "20", "--proxy", fx.proxyUrl(), "--cacert", caFile.toString()));
        argv.addAll(List.of(args));
        return Cmd.run(argv, Map.of(), 30);
    }

    String https(String host, String path) {
        return "https://" + host + ":" + origin.port() + path;
    }

    @Test
    void allowedHostPassesWithACertificateFromTethersCa() throws Exception {
        Cmd.Result r = curl("-w", "\n%{http_code} %{ssl_verify_result}", https("allowed.test", "/hello"));
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("hello from allowed.test:" + origin.port() + " GET /hello").endsWith("200 0");
        HttpExchangeEvent e = fx.sink.exchange(x -> x.path().equals("/hello") && x.host().equals("allowed.test"));
        assertThat(e.allowed()).isTrue();
        assertThat(e.status()).isEqualTo(200);
        assertThat(e.policyIds()).containsExactly("p-allowed");
        assertThat(e.scheme()).isEqualTo("https");
        assertThat(e.responseBytes()).isPositive();
    }

    @Test
    void theCertificateIsNotTrustedWithoutTethersCa() throws Exception {
        Cmd.Result r = Cmd.run(List.of("curl", "-sS", "--max-time", "20", "--proxy", fx.proxyUrl(), https("allowed.test", "/x")), Map.of(
                "CURL_CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt"), 30);
        assertThat(r.exit()).isEqualTo(60); // peer certificate cannot be authenticated
    }

    @Test
    void deniedHostGets403NamingTheRule() throws Exception {
        Cmd.Result r = curl("-w", "%{http_code}", https("denied.test", "/"));
        assertThat(r.err()).contains("403");
        HttpExchangeEvent e = fx.sink.exchange(x -> x.host().equals("denied.test") && x.method().equals("CONNECT"));
        assertThat(e.allowed()).isFalse();
        assertThat(e.policyIds()).containsExactly("f-denied");

        // plain HTTP through the proxy shows the body
        Cmd.Result p = curl("-w", "\n%{http_code}", "http://denied.test:" + plain.port() + "/x");
        assertThat(p.out()).contains("denied by policy").contains("f-denied").endsWith("403");
        Cmd.Result unlisted = curl("-w", "\n%{http_code}", "http://nobody.test:" + plain.port() + "/x");
        assertThat(unlisted.out()).contains("no permit matched").endsWith("403");
    }

    @Test
    void wildcardMatchesSubdomainsOnlyAndHostsAreNormalised() throws Exception {
        assertThat(curl("-o", "/dev/null", "-w", "%{http_code}", https("a.wild.test", "/")).out()).isEqualTo("200");
        assertThat(curl("-o", "/dev/null", "-w", "%{http_code}", https("deep.a.wild.test", "/")).out()).isEqualTo("200");
        assertThat(curl("-o", "/dev/null", "-w", "%{http_code}", https("wild.test", "/")).err()).contains("403");
        assertThat(curl("-o", "/dev/null", "-w", "%{http_code}", https("evilwild.test", "/")).err()).contains("403");
        // upper case and a trailing dot are the same host to the policy
        Cmd.Result upper = curl("-o", "/dev/null", "-w", "%{http_code}", "http://A.WILD.TEST.:" + plain.port() + "/");
        assertThat(upper.out()).isEqualTo("200");
        fx.sink.exchange(x -> x.host().equals("a.wild.test") && x.scheme().equals("http"));
    }

    @Test
    void headerIsInjectedUpstreamAndNeverSeenByTheClient() throws Exception {
        Cmd.Result r = curl("-v", https("secret.test", "/key"));
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("api-key-received=true");
        assertThat(origin.lastHeaders.get("/key").get("X-api-key")).containsExactly(ProxyFixture.SECRET_VALUE);
        assertThat(r.out() + r.err()).doesNotContain(ProxyFixture.SECRET_VALUE);
        // other hosts do not get it
        curl(https("allowed.test", "/nokey"));
        assertThat(origin.lastHeaders.get("/nokey")).doesNotContainKey("X-api-key");
        fx.sink.exchange(x -> x.path().equals("/key"));
        assertThat(fx.sink.events.toString()).doesNotContain(ProxyFixture.SECRET_VALUE);
    }

    @Test
    void aMissingSecretFailsTheRequestClearlyInsteadOfSendingItWithout() throws Exception {
        fx.rules.permitHost("p-nosecret", "nosecret.test").rewrite("r-missing", "nosecret.test", "Authorization", "secret:NOT_DEFINED");
        Cmd.Result r = curl("-w", "\n%{http_code}", "http://nosecret.test:" + plain.port() + "/s");
        assertThat(r.out()).contains("secret:NOT_DEFINED").contains("r-missing").endsWith("502");
        assertThat(plain.lastHeaders).doesNotContainKey("/s");
        fx.sink.notice(n -> n.kind() == ProxyNotice.Kind.MISSING_SECRET && n.detail().contains("NOT_DEFINED"));
    }

    @Test
    void sseEventsArriveOneByOne() throws Exception {
        ProcessBuilder pb = new ProcessBuilder("curl", "-sS", "-N", "--max-time", "30", "--proxy", fx.proxyUrl(), "--cacert",
                caFile.toString(), https("allowed.test", "/sse"));
        pb.environment().remove("SSL_CERT_FILE");
        pb.environment().remove("CURL_CA_BUNDLE");
        Process p = pb.start();
        try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            List<String> seen = new ArrayList<>();
            while ((line = in.readLine()) != null) {
                seen.add(line);
                if (line.equals("data: one")) origin.sseGo.countDown(); // only now may the server send "two"
                if (line.equals("data: two")) break;
            }
            assertThat(seen).contains("data: one", "data: two");
        } finally {
            p.destroy();
        }
        assertThat(origin.sseReleasedByClient).as("event one reached the client before event two was sent").isTrue();
    }

    @Test
    void largeBodiesStreamBothWays() throws Exception {
        Path f = fx.dir.resolve("upload.bin");
        byte[] mb = new byte[1024 * 1024];
        try (OutputStream o = Files.newOutputStream(f)) {
            for (int i = 0; i < 50; i++) o.write(mb);
        }
        Cmd.Result up = curl("-H", "Content-Type: application/octet-stream", "--data-binary", "@" + f, https("allowed.test", "/upload"));
        assertThat(up.out()).contains("received " + 50L * 1024 * 1024);
        Cmd.Result down = curl("-o", "/dev/null", "-w", "%{size_download}", https("allowed.test", "/big?n=" + 50L * 1024 * 1024));
        assertThat(down.out()).isEqualTo(String.valueOf(50L * 1024 * 1024));
        // a 50 MB body that is not JSON is streamed, not judged: no size refusal
        HttpExchangeEvent e = fx.sink.exchange(x -> x.path().equals("/upload"));
        assertThat(e.requestBytes()).isEqualTo(50L * 1024 * 1024);
    }

    @Test
    void anEarlyAnswerToAStreamingUploadEndsTheExchangeCleanly() throws Exception {
        Path f = fx.dir.resolve("early.bin");
        Files.write(f, new byte[20 * 1024 * 1024]);
        Cmd.Result r = curl("-w", "\n%{http_code}", "-H", "Content-Type: application/octet-stream", "--data-binary", "@" + f,
                https("allowed.test", "/reject-early"));
        // The origin closes without lingering, so its RST can destroy the 413 before the proxy reads
        // it (TCP, not the proxy): either outcome must be clear, and the proxy must carry on.
        assertThat(r.out()).satisfiesAnyOf(o -> assertThat(o).endsWith("413"),
                o -> assertThat(o).contains("closed the connection without answering").endsWith("502"));
        assertThat(curl(https("allowed.test", "/after-early")).out()).contains("GET /after-early");
    }

    @Test
    void largeJsonBodiesAreInvitedWithoutTheClientsExpectTimeout() throws Exception {
        Path f = fx.dir.resolve("big.json");
        Files.writeString(f, "{\"data\":\"" + "y".repeat(3 * 1024 * 1024) + "\"}");
        // curl sends Expect: 100-continue for bodies this size; the proxy answers it itself because it
        // reads the whole JSON body before anything goes upstream
        Cmd.Result r = curl("-v", "-H", "Content-Type: application/json", "--data-binary", "@" + f, https("allowed.test", "/upload"));
        assertThat(r.out()).contains("received " + (3 * 1024 * 1024 + 11));
        assertThat(r.err()).contains("HTTP/1.1 100 Continue");
    }

    @Test
    void anUpstreamThatNeverAnswersGetsA504AndOthersAreUnaffected() throws Exception {
        var slow = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return curl("-w", "\n%{http_code}", https("allowed.test", "/never"));
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        Cmd.Result other = curl(https("allowed.test", "/meanwhile"));
        assertThat(other.out()).contains("GET /meanwhile");
        Cmd.Result r = slow.get();
        assertThat(r.out()).contains("did not answer within 3000 ms").endsWith("504");
        fx.sink.notice(n -> n.kind() == ProxyNotice.Kind.UPSTREAM_TIMEOUT);
    }

    @Test
    void policyChangesApplyToTheNextRequestOnTheSameConnection() throws Exception {
        fx.rules.permitHost("p-reload", "reload.test");
        try (Socket s = new Socket("127.0.0.1", fx.proxy.explicitAddress().getPort())) {
            s.setSoTimeout(10_000);
            var out = s.getOutputStream();
            var in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.ISO_8859_1));
            String req = "GET http://reload.test:" + plain.port() + "/r HTTP/1.1\r\nHost: reload.test:" + plain.port() + "\r\n\r\n";
            out.write(req.getBytes(StandardCharsets.ISO_8859_1));
            assertThat(readResponse(in)).startsWith("HTTP/1.1 200");
            fx.rules.hosts.removeIf(h -> h.id().equals("p-reload"));
            out.write(req.getBytes(StandardCharsets.ISO_8859_1));
            assertThat(readResponse(in)).startsWith("HTTP/1.1 403").contains("no permit matched reload.test");
        }
    }

    @Test
    void webSocketUpgradePassesThrough() throws Exception {
        try (var ws = new EchoUpgradeServer()) {
            fx.rules.permitHost("p-ws", "ws.test");
            try (Socket s = new Socket("127.0.0.1", fx.proxy.explicitAddress().getPort())) {
                s.setSoTimeout(10_000);
                var out = s.getOutputStream();
                out.write(("GET http://ws.test:" + ws.port() + "/chat HTTP/1.1\r\nHost: ws.test\r\nConnection: Upgrade\r\n"
                        + "Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n")
                        .getBytes(StandardCharsets.ISO_8859_1));
                var in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.ISO_8859_1));
                assertThat(readResponse(in)).startsWith("HTTP/1.1 101");
                out.write("frame-bytes\n".getBytes(StandardCharsets.ISO_8859_1));
                out.flush();
                assertThat(in.readLine()).isEqualTo("echo:frame-bytes");
            }
        }
    }

    @Test
    void alpnOffersTheSandboxOnlyWhatUpstreamAgreed() throws Exception {
        fx.rules.permitHost("p-alpn", "alpn.test").permitHost("p-noalpn", "noalpn.test");
        try (var alpn = new dev.tether.proxy.testing.AlpnOrigin(fx.publicCa, List.of("alpn.test"), "h2", "http/1.1")) {
            // curl offers h2 and http/1.1; the proxy offers upstream http/1.1 only, upstream agrees,
            // and the sandbox is offered exactly that
            Cmd.Result r = curl("-v", "--http2", "https://alpn.test:" + alpn.port() + "/");
            assertThat(r.out()).isEqualTo("upstream alpn=http/1.1\n");
            assertThat(r.err()).containsPattern("ALPN[:,] server accepted (to use )?http/1.1");
        }
        // an upstream without ALPN: the sandbox is offered none either
        Cmd.Result none = curl("-v", "--http2", https("allowed.test", "/noalpn").replace("allowed.test", "allowed.test"));
        assertThat(none.exit()).isZero();
        assertThat(none.err()).containsPattern("ALPN[:,] server did not agree");
    }

    @Test
    void secretsFilesMustBePrivate() throws Exception {
        Path f = fx.dir.resolve("secrets.env");
        Files.writeString(f, "# comment\nTOKEN=from-file-123\n");
        Files.setPosixFilePermissions(f, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> dev.tether.proxy.secret.SecretResolver.readSecretsFile(f))
                .hasMessageContaining("chmod 600");
        Files.setPosixFilePermissions(f, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        var redactor = new dev.tether.proxy.secret.SecretRedactor();
        var resolver = new dev.tether.proxy.secret.SecretResolver(dev.tether.proxy.secret.SecretResolver.readSecretsFile(f),
                Map.of("TOKEN", "from-env-456"), redactor);
        assertThat(resolver.resolveValue("secret:TOKEN")).contains("from-file-123"); // the file wins over the environment
        assertThat(resolver.resolveValue("secret:MISSING")).isEmpty();
        assertThat(resolver.resolveValue("literal")).contains("literal");
        assertThat(redactor.redact("Bearer from-file-123")).isEqualTo("Bearer [REDACTED:TOKEN]");
    }

    static String readResponse(BufferedReader in) throws Exception {
        StringBuilder sb = new StringBuilder();
        String line;
        int length = 0;
        while ((line = in.readLine()) != null && !line.isEmpty()) {
            sb.append(line).append('\n');
            if (line.toLowerCase().startsWith("content-length:")) length = Integer.parseInt(line.substring(15).strip());
        }
        char[] body = new char[length];
        int read = 0;
        while (read < length) read += in.read(body, read, length - read);
        return sb.append('\n').append(body).toString();
    }
}
