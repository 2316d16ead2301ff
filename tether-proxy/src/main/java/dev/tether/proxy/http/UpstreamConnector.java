package dev.tether.proxy.http;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.ssl.SslHandler;

/** Builds upstream connections on the sandbox-side channel's own event loop (no cross-thread hand-off). */
final class UpstreamConnector {
    private UpstreamConnector() {}

    static Bootstrap bootstrap(ProxyRuntime rt, EventLoop loop, ClientContext.Target target, UpstreamHandler handler) {
        return new Bootstrap()
                .group(loop)
                .channel(rt.socketChannelClass)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, rt.config.connectTimeout().toMillis()))
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.AUTO_READ, true)
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        if (target.tls()) {
                            SslHandler ssl = rt.upstreamTls.newHandler(ch.alloc(), target.host(), target.port());
                            ssl.setHandshakeTimeoutMillis(rt.config.connectTimeout().toMillis());
                            ch.pipeline().addLast("tls", ssl);
                        }
                        ch.pipeline().addLast("http", new HttpClientCodec(4096, 64 * 1024, 64 * 1024));
                        ch.pipeline().addLast("upstream", handler);
                    }
                });
    }
}
