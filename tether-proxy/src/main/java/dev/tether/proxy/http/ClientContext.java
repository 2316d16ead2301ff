package dev.tether.proxy.http;

import java.net.InetSocketAddress;

/**
 * What a sandbox-side connection is: how it reached the proxy and, once known, the one target it
 * may talk to (CONNECT tunnels and TLS connections are bound to their host for their lifetime).
 */
record ClientContext(String clientAddress, Mode mode, Target fixedTarget, InetSocketAddress originalDestination) {
    enum Mode { EXPLICIT, TUNNEL, TRANSPARENT }

    /** A judged upstream: normalised host, port, TLS or not, and the dialled address in transparent mode. */
    record Target(String host, int port, boolean tls) {}

    ClientContext withFixedTarget(Target t, Mode m) {
        return new ClientContext(clientAddress, m, t, originalDestination);
    }
}
