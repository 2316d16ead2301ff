package dev.tether.proxy.http;

import dev.tether.proxy.ProxyConfig;
import dev.tether.proxy.ca.CertificateAuthority;
import dev.tether.proxy.decide.ProxyDecisions;
import dev.tether.proxy.event.ProxyEventSink;
import dev.tether.proxy.secret.SecretResolver;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslProvider;
import dev.tether.proxy.ca.LeafKeyManager;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

/** What every connection handler of one proxy shares. Internal to the proxy. */
public final class ProxyRuntime implements AutoCloseable {

    final ProxyConfig config;
    final CertificateAuthority ca;
    final ProxyDecisions decisions;
    final ProxyEventSink sink;
    final SecretResolver secrets;
    final SslContext upstreamTls;
    final McpSseSessions sseSessions = new McpSseSessions();
    final Class<? extends SocketChannel> socketChannelClass;
    /** DNS may block: resolution runs on virtual threads, never on an event loop. */
    final ExecutorService resolverThreads = Executors.newVirtualThreadPerTaskExecutor();
    /** Leaf minting (one ECDSA signature) runs beside the upstream handshake, not after it. */
    final ExecutorService mintThreads = Executors.newVirtualThreadPerTaskExecutor();
    private final ConcurrentHashMap<String, SslContext> serverContexts = new ConcurrentHashMap<>();
    private final SslProvider provider = preferredProvider();

    /** BoringSSL (netty-tcnative) where it loads, else the JDK's TLS. */
    public static SslProvider preferredProvider() {
        return OpenSsl.isAvailable() ? SslProvider.OPENSSL : SslProvider.JDK;
    }

    public ProxyRuntime(ProxyConfig config, CertificateAuthority ca, ProxyDecisions decisions, ProxyEventSink sink,
            SecretResolver secrets, Class<? extends SocketChannel> socketChannelClass) throws SSLException {
        this.config = config;
        this.ca = ca;
        this.decisions = decisions;
        this.sink = sink;
        this.secrets = secrets;
        this.socketChannelClass = socketChannelClass;
        this.upstreamTls = upstreamContext(provider, config.extraUpstreamTrust());
    }

    /**
     * The client-side TLS context towards upstream servers: the system's trust anchors plus
     * {@code extra}. Building it reads and parses the whole trust store (~50 ms of a warm
     * session's start, most of it the first time in a JVM): spares build one ahead.
     */
    public static SslContext upstreamContext(SslProvider provider, java.util.List<X509Certificate> extra) throws SSLException {
        return SslContextBuilder.forClient()
                .sslProvider(provider)
                .trustManager(trust(extra))
                .endpointIdentificationAlgorithm("HTTPS")
                // Offer upstream only what the proxy speaks to the client side: HTTP/1.1.
                .applicationProtocolConfig(new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
                        ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                        ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
                        ApplicationProtocolNames.HTTP_1_1))
                .build();
    }

    /**
     * The server-side TLS context presented to the sandbox, advertising ALPN {@code alpn} only (what
     * upstream agreed to), or no ALPN when null. One context per ALPN value serves every host: the
     * engine is created with the judged host as peer host and {@link LeafKeyManager} picks its leaf.
     */
    SslContext serverContext(String alpn) {
        String key = alpn == null ? "" : alpn;
        SslContext c = serverContexts.get(key);
        return c != null ? c : serverContexts.computeIfAbsent(key, k -> buildServer(alpn));
    }

    private SslContext buildServer(String alpn) {
        try {
            SslContextBuilder b = SslContextBuilder.forServer(new LeafKeyManager(ca)).sslProvider(provider);
            if (alpn != null) {
                b.applicationProtocolConfig(new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
                        ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                        ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT, alpn));
            }
            return b.build();
        } catch (SSLException e) {
            throw new IllegalStateException("cannot build the sandbox-side TLS context: " + e.getMessage(), e);
        }
    }

    /** Which TLS implementation the proxy uses: BoringSSL when its native library loads, else the JDK's. */
    public SslProvider provider() {
        return provider;
    }

    private static TrustManagerFactory trust(java.util.List<X509Certificate> extra) {
        try {
            TrustManagerFactory def = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            def.init((KeyStore) null);
            KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
            ks.load(null, null);
            int i = 0;
            for (var tm : def.getTrustManagers()) {
                if (tm instanceof X509TrustManager x) {
                    for (X509Certificate c : x.getAcceptedIssuers()) ks.setCertificateEntry("system-" + i++, c);
                }
            }
            for (X509Certificate c : extra) ks.setCertificateEntry("extra-" + i++, c);
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(ks);
            return tmf;
        } catch (Exception e) {
            throw new IllegalStateException("cannot build the upstream trust store: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        resolverThreads.shutdownNow();
        mintThreads.shutdownNow();
    }
}
