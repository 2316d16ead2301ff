package dev.tether.proxy.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.proxy.ProxyConfig;
import dev.tether.proxy.TetherProxy;
import dev.tether.proxy.ca.CertificateAuthority;
import dev.tether.proxy.secret.SecretRedactor;
import dev.tether.proxy.secret.SecretResolver;
import dev.tether.proxy.testing.RecordingSink;
import dev.tether.proxy.testing.RuleDecisions;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Found by HttpRequestHeadFuzzTest (tether-fuzz): a sandbox that sends CONNECT and a ClientHello
 * and hangs up while the proxy is still connecting upstream left that upstream connection open
 * (and the MITM handler failed on the closed pipeline). The upstream must be released.
 */
class MitmAbandonedHandshakeTest {
    @TempDir
    Path dir;

    @Test
    void upstreamIsClosedWhenTheSandboxLeavesDuringTheHandshake() throws Exception {
        CertificateAuthority tetherCa = CertificateAuthority.openOrCreate(dir.resolve("tether-ca"));
        CertificateAuthority publicCa = CertificateAuthority.openOrCreate(dir.resolve("public-ca"));
        CountDownLatch upstreamClosed = new CountDownLatch(1);
        CountDownLatch upstreamOpened = new CountDownLatch(1);
        try (SSLServerSocket origin = tlsOrigin(publicCa)) {
            Thread.ofVirtual().start(() -> {
                try (SSLSocket s = (SSLSocket) origin.accept()) {
                    s.startHandshake();
                    upstreamOpened.countDown();
                    while (s.getInputStream().read() >= 0) {
                        // until the proxy closes its side
                    }
                } catch (Exception e) {
                    // a reset counts as closed as well
                } finally {
                    upstreamClosed.countDown();
                }
            });
            CountDownLatch clientGone = new CountDownLatch(1);
            ProxyConfig cfg = new ProxyConfig(new InetSocketAddress("127.0.0.1", 0), null, null, (host, port) -> {
                try {
                    clientGone.await(5, TimeUnit.SECONDS); // connect upstream only once the sandbox has left
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return new InetSocketAddress(InetAddress.getLoopbackAddress(), origin.getLocalPort());
            }, List.of(publicCa.certificate()), Duration.ofSeconds(5), Duration.ofSeconds(5), 1 << 20, 1);
            RuleDecisions rules = new RuleDecisions().permitHost("web", "origin.test");
            try (TetherProxy proxy = TetherProxy.start(cfg, tetherCa, rules, new RecordingSink(),
                    new SecretResolver(Map.of(), Map.of(), new SecretRedactor()))) {
                try (Socket s = new Socket()) {
                    s.connect(proxy.explicitAddress(), 2000);
                    s.setSoTimeout(5000);
                    OutputStream out = s.getOutputStream();
                    out.write("CONNECT origin.test:443 HTTP/1.1\r\nHost: origin.test:443\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                    readHead(s.getInputStream());
                    out.write(clientHello("origin.test"));
                    out.flush();
                    Thread.sleep(200); // let the proxy read the ClientHello and start the upstream
                }
                clientGone.countDown();
                assertThat(upstreamOpened.await(10, TimeUnit.SECONDS)).as("the proxy connected upstream").isTrue();
                assertThat(upstreamClosed.await(10, TimeUnit.SECONDS)).as("the abandoned upstream was closed").isTrue();
            }
        }
    }

    private static SSLServerSocket tlsOrigin(CertificateAuthority publicCa) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setKeyEntry("k", publicCa.leafPrivateKey(), new char[0],
                new Certificate[] {publicCa.leafForNames(List.of("origin.test")), publicCa.certificate()});
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, new char[0]);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf.getKeyManagers(), null, null);
        return (SSLServerSocket) ctx.getServerSocketFactory().createServerSocket(0, 8, InetAddress.getLoopbackAddress());
    }

    private static void readHead(InputStream in) throws Exception {
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                break;
            }
            head.append((char) b);
        }
        assertThat(head.toString()).startsWith("HTTP/1.1 200");
    }

    /** A real ClientHello with SNI, as the first TLS record a client sends. */
    private static byte[] clientHello(String host) throws Exception {
        SSLEngine engine = SSLContext.getDefault().createSSLEngine(host, 443);
        engine.setUseClientMode(true);
        SSLParameters p = engine.getSSLParameters();
        p.setServerNames(List.of(new SNIHostName(host)));
        engine.setSSLParameters(p);
        ByteBuffer out = ByteBuffer.allocate(engine.getSession().getPacketBufferSize());
        engine.beginHandshake();
        engine.wrap(ByteBuffer.allocate(0), out);
        out.flip();
        byte[] b = new byte[out.remaining()];
        out.get(b);
        return b;
    }
}
