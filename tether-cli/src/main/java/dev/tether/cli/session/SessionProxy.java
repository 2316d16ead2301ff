package dev.tether.cli.session;

import dev.tether.events.EventBus;
import dev.tether.kernel.enforce.SessionPolicy;
import dev.tether.proxy.ProxyConfig;
import dev.tether.proxy.TetherProxy;
import dev.tether.proxy.UpstreamResolver;
import dev.tether.proxy.ca.CertificateAuthority;
import dev.tether.proxy.decide.SnapshotDecisions;
import dev.tether.proxy.event.EventBusSink;
import dev.tether.proxy.secret.SecretRedactor;
import dev.tether.proxy.secret.SecretResolver;
import dev.tether.proxy.transparent.SoOriginalDestination;
import dev.tether.sandbox.net.SandboxNetwork;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The session's HTTP(S) proxy: a transparent listener on the sandbox's gateway addresses (IPv4
 * and IPv6, same port; never a wildcard address, which would open it to the host's network), to
 * which the sandbox's TCP 80/443 are redirected on the host side of its veth
 * ({@link SessionEnforcement#startProxyAndDns}), where the proxy reads the original destination. It decides hosts, requests and MCP calls on the live session policy.
 */
final class SessionProxy implements AutoCloseable {
    private final TetherProxy proxy;

    private SessionProxy(TetherProxy proxy) {
        this.proxy = proxy;
    }

    static SessionProxy start(SandboxNetwork network, Supplier<SessionPolicy> policy, EventBus bus, String sessionId,
                              CertificateAuthority ca) throws IOException {
        SessionPolicy p = policy.get();
        var decisions = new SnapshotDecisions(() -> policy.get().snapshot(), p.principal(), () -> policy.get().mode());
        var secrets = new SecretResolver(Map.of(), System.getenv(), new SecretRedactor());
        ProxyConfig config = new ProxyConfig(null, new InetSocketAddress(network.gateway4(), 0), new SoOriginalDestination(),
                UpstreamResolver.dns(), List.of(), Duration.ofSeconds(10), Duration.ofSeconds(120),
                ProxyConfig.DEFAULT_MAX_INSPECTED_BODY, 2);
        TetherProxy proxy = TetherProxy.start(config, ca, decisions, new EventBusSink(bus, sessionId, p.principal().agent()), secrets);
        try {
            InetSocketAddress v4 = proxy.transparentAddress();
            proxy.addTransparentListener(new InetSocketAddress(network.gateway6(), v4.getPort()));
            return new SessionProxy(proxy);
        } catch (IOException | RuntimeException e) {
            proxy.close();
            throw e;
        }
    }

    InetSocketAddress address() {
        return proxy.transparentAddress();
    }

    @Override
    public void close() {
        proxy.close();
    }
}
