package dev.tether.proxy;

import dev.tether.proxy.transparent.OriginalDestination;
import java.net.InetSocketAddress;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * How one session's proxy listens and behaves.
 *
 * @param explicitListen where HTTP_PROXY/HTTPS_PROXY clients connect (port 0 = any free port), or null
 * @param transparentListen where the kernel layer steers the sandbox's TCP 80/443, or null
 * @param originalDestination how the transparent listener learns where a connection was going
 *     (required with {@code transparentListen})
 * @param resolver how upstream hosts are dialled (DNS by default; tests map names to local servers)
 * @param extraUpstreamTrust CA certificates trusted for upstream TLS besides the JDK's default set
 * @param connectTimeout upstream TCP connect + TLS handshake limit
 * @param responseTimeout how long an upstream may take to start answering a request
 * @param maxInspectedBodyBytes largest JSON body (request or response) the MCP observer will hold to
 *     judge; a larger one is refused, never passed unjudged
 * @param ioThreads Netty event-loop threads (0 = 2 × cores)
 */
public record ProxyConfig(
        InetSocketAddress explicitListen,
        InetSocketAddress transparentListen,
        OriginalDestination originalDestination,
        UpstreamResolver resolver,
        List<X509Certificate> extraUpstreamTrust,
        Duration connectTimeout,
        Duration responseTimeout,
        int maxInspectedBodyBytes,
        int ioThreads) {

    public static final int DEFAULT_MAX_INSPECTED_BODY = 64 * 1024 * 1024;

    public ProxyConfig {
        if (explicitListen == null && transparentListen == null) {
            throw new IllegalArgumentException("the proxy needs an explicit or a transparent listener");
        }
        if (transparentListen != null && originalDestination == null) {
            throw new IllegalArgumentException("a transparent listener needs an OriginalDestination lookup");
        }
        Objects.requireNonNull(resolver, "resolver");
        extraUpstreamTrust = List.copyOf(extraUpstreamTrust);
        Objects.requireNonNull(connectTimeout, "connectTimeout");
        Objects.requireNonNull(responseTimeout, "responseTimeout");
        if (maxInspectedBodyBytes <= 0) throw new IllegalArgumentException("maxInspectedBodyBytes must be positive");
    }

    /** An explicit proxy on loopback with defaults: DNS, JDK trust, 10 s connect, 120 s response. */
    public static ProxyConfig explicitOnLoopback(int port) {
        return new ProxyConfig(new InetSocketAddress("127.0.0.1", port), null, null, UpstreamResolver.dns(),
                List.of(), Duration.ofSeconds(10), Duration.ofSeconds(120), DEFAULT_MAX_INSPECTED_BODY, 0);
    }

    public ProxyConfig withResolver(UpstreamResolver r) {
        return new ProxyConfig(explicitListen, transparentListen, originalDestination, r, extraUpstreamTrust,
                connectTimeout, responseTimeout, maxInspectedBodyBytes, ioThreads);
    }

    public ProxyConfig withUpstreamTrust(List<X509Certificate> trust) {
        return new ProxyConfig(explicitListen, transparentListen, originalDestination, resolver, trust,
                connectTimeout, responseTimeout, maxInspectedBodyBytes, ioThreads);
    }

    public ProxyConfig withTransparent(InetSocketAddress listen, OriginalDestination lookup) {
        return new ProxyConfig(explicitListen, listen, lookup, resolver, extraUpstreamTrust,
                connectTimeout, responseTimeout, maxInspectedBodyBytes, ioThreads);
    }

    public ProxyConfig withTimeouts(Duration connect, Duration response) {
        return new ProxyConfig(explicitListen, transparentListen, originalDestination, resolver, extraUpstreamTrust,
                connect, response, maxInspectedBodyBytes, ioThreads);
    }

    public ProxyConfig withMaxInspectedBodyBytes(int max) {
        return new ProxyConfig(explicitListen, transparentListen, originalDestination, resolver, extraUpstreamTrust,
                connectTimeout, responseTimeout, max, ioThreads);
    }

    public ProxyConfig withIoThreads(int n) {
        return new ProxyConfig(explicitListen, transparentListen, originalDestination, resolver, extraUpstreamTrust,
                connectTimeout, responseTimeout, maxInspectedBodyBytes, n);
    }
}
