package dev.tether.proxy;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * Turns the host the policy judged into the address the proxy dials. The proxy always dials the
 * judged name itself (never a sandbox-supplied IP for a named host), so a forged Host header or
 * SNI cannot steer an allowed name to another address. May block (DNS): the proxy calls it off
 * the event loop.
 */
@FunctionalInterface
public interface UpstreamResolver {
    InetSocketAddress resolve(String host, int port) throws IOException;

    static UpstreamResolver dns() {
        return (host, port) -> new InetSocketAddress(InetAddress.getByName(host), port);
    }
}
