package dev.tether.proxy;

import dev.tether.proxy.ca.CertificateAuthority;
import dev.tether.proxy.secret.SecretRedactor;
import dev.tether.proxy.secret.SecretResolver;
import dev.tether.proxy.testing.Origin;
import dev.tether.proxy.testing.RecordingSink;
import dev.tether.proxy.testing.RuleDecisions;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/** A running proxy with a tether CA, a separate "public" CA for origins, real rules and recorded events. */
final class ProxyFixture implements AutoCloseable {
    static final String SECRET_VALUE = "sk-test-9f8e7d6c5b4a";

    final Path dir;
    final CertificateAuthority tetherCa;
    final CertificateAuthority publicCa;
    final RuleDecisions rules = new RuleDecisions();
    final RecordingSink sink = new RecordingSink();
    final SecretResolver secrets;
    final TetherProxy proxy;

    ProxyFixture(Duration responseTimeout, UpstreamResolver resolver) throws Exception {
        dir = Files.createTempDirectory("tether-proxy-test");
        tetherCa = CertificateAuthority.openOrCreate(dir.resolve("tether-ca"));
        publicCa = CertificateAuthority.openOrCreate(dir.resolve("public-ca"));
        secrets = new SecretResolver(Map.of(), Map.of("TEST_API_KEY", SECRET_VALUE), new SecretRedactor());
        ProxyConfig cfg = new ProxyConfig(new InetSocketAddress("127.0.0.1", 0), null, null, resolver,
                List.of(publicCa.certificate()), Duration.ofSeconds(5), responseTimeout, 64 * 1024 * 1024, 2);
        proxy = TetherProxy.start(cfg, tetherCa, rules, sink, secrets);
    }

    /** Every test host name resolves to 127.0.0.1 at the port the client asked for. */
    static UpstreamResolver loopback() {
        return (host, port) -> new InetSocketAddress("127.0.0.1", port);
    }

    String proxyUrl() {
        return "http://127.0.0.1:" + proxy.explicitAddress().getPort();
    }

    Origin httpsOrigin(String... names) throws Exception {
        return Origin.https(publicCa, names);
    }

    @Override
    public void close() {
        proxy.close();
    }
}
