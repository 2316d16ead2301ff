package dev.tether.proxy.http;

import dev.tether.proxy.event.ProxyNotice;
import dev.tether.proxy.transparent.AcceptedConnection;
import dev.tether.proxy.transparent.OriginalDestination;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.epoll.EpollSocketChannel;
import java.net.InetSocketAddress;
import java.time.Instant;

/** Pipelines of freshly accepted sandbox connections. */
public final class ProxyChannels {
    private ProxyChannels() {}

    /** Explicit proxy: HTTP first (absolute-form requests or CONNECT). */
    public static ChannelHandler explicit(ProxyRuntime rt) {
        return new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel ch) {
                ClientContext cc = new ClientContext(addr(ch.remoteAddress()), ClientContext.Mode.EXPLICIT, null, null);
                ch.pipeline().addLast("http", ProtocolSniffer.newServerCodec());
                ch.pipeline().addLast("client", new ClientHttpHandler(rt, cc, null, null));
            }
        };
    }

    /** Transparent: learn the original destination, then sniff TLS vs plain HTTP. */
    public static ChannelHandler transparent(ProxyRuntime rt, OriginalDestination lookup) {
        return new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel ch) {
                int fd = ch instanceof EpollSocketChannel e ? e.fd().intValue() : -1;
                InetSocketAddress od;
                try {
                    od = lookup.lookup(new AcceptedConnection((InetSocketAddress) ch.localAddress(),
                            (InetSocketAddress) ch.remoteAddress(), fd));
                } catch (Exception e) {
                    rt.sink.emit(new ProxyNotice(Instant.now(), ProxyNotice.Kind.UPSTREAM_FAILURE, null,
                            "transparent connection from " + ch.remoteAddress() + " refused: original destination unknown: " + e.getMessage()));
                    ch.close();
                    return;
                }
                ClientContext cc = new ClientContext(addr(ch.remoteAddress()), ClientContext.Mode.TRANSPARENT, null, od);
                ch.pipeline().addLast("sniff", new ProtocolSniffer(rt, cc));
            }
        };
    }

    private static String addr(java.net.SocketAddress a) {
        return a instanceof InetSocketAddress i ? i.getAddress().getHostAddress() + ":" + i.getPort() : String.valueOf(a);
    }
}
