package dev.tether.proxy;

import dev.tether.proxy.transparent.OriginalDestination;

import dev.tether.proxy.ca.CertificateAuthority;
import dev.tether.proxy.decide.ProxyDecisions;
import dev.tether.proxy.event.ProxyEventSink;
import dev.tether.proxy.http.ProxyChannels;
import dev.tether.proxy.http.ProxyRuntime;
import dev.tether.proxy.secret.SecretResolver;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.ssl.OpenSsl;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * One session's HTTP(S) proxy: an explicit listener (HTTP_PROXY/HTTPS_PROXY, CONNECT) and/or a
 * transparent listener (the sandbox's TCP 80/443 steered here by the kernel layer), TLS
 * interception with leaves from tether's CA, policy decisions per connection and per request,
 * header injection, and the MCP observer. Start with {@link #start}; close to stop.
 */
public final class TetherProxy implements AutoCloseable {
    private final EventLoopGroup group;
    private final ProxyRuntime runtime;
    private final Channel explicitChannel;
    private final Channel transparentChannel;
    private final Class<? extends ServerSocketChannel> serverChannel;
    private final java.util.List<Channel> moreTransparent = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final OriginalDestination originalDestination;

    private TetherProxy(EventLoopGroup group, ProxyRuntime runtime, Channel explicitChannel, Channel transparentChannel,
                        Class<? extends ServerSocketChannel> serverChannel, OriginalDestination originalDestination) {
        this.group = group;
        this.runtime = runtime;
        this.explicitChannel = explicitChannel;
        this.transparentChannel = transparentChannel;
        this.serverChannel = serverChannel;
        this.originalDestination = originalDestination;
    }

    /**
     * Binds one more transparent listener (same runtime, same decisions), e.g. the IPv6 gateway
     * beside the IPv4 one on the same port, so a redirect that keeps the port works for both
     * families without listening on a wildcard address.
     */
    public InetSocketAddress addTransparentListener(InetSocketAddress at) throws IOException {
        if (transparentChannel == null) {
            throw new IllegalStateException("this proxy has no transparent listener");
        }
        Channel c = bind(group, serverChannel, ProxyChannels.transparent(runtime, originalDestination), at);
        moreTransparent.add(c);
        return (InetSocketAddress) c.localAddress();
    }

    /**
     * Loads and initialises Netty's epoll transport and BoringSSL (class initialisation: once per
     * JVM, 100-170 ms on the test hosts, most of it BoringSSL's). A session calls this on a thread
     * of its own while it starts its other layers, so that {@link #start} does not pay it later on
     * the critical path; calling it is never required.
     */
    public static void loadNativeLibraries() {
        Epoll.isAvailable();
        OpenSsl.isAvailable();
    }

    /**
     * For a JVM that will start a proxy later (a spare): the native libraries loaded, and the code
     * every start runs first run once: the upstream TLS context built from the trust store, an
     * event loop started and a listener bound on loopback, then all of it closed again.
     */
    public static void warmUp() {
        loadNativeLibraries();
        try {
            ProxyRuntime.upstreamContext(ProxyRuntime.preferredProvider(), java.util.List.of());
            boolean epoll = Epoll.isAvailable();
            EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
            try {
                bind(group, epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class,
                        new io.netty.channel.ChannelInboundHandlerAdapter(),
                        new InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0)).close().syncUninterruptibly();
            } finally {
                group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            }
        } catch (IOException e) {
            // only a head start: the session's own start reports what fails
        }
    }

    /**
     * Binds the configured listeners and returns the running proxy.
     *
     * @param decisions the session's live policy view (asked on every connection and request)
     * @param events where exchange, MCP and notice events go
     * @param secrets resolves {@code secret:NAME} rewrite values and redacts them everywhere
     */
    public static TetherProxy start(ProxyConfig config, CertificateAuthority ca, ProxyDecisions decisions,
            ProxyEventSink events, SecretResolver secrets) throws IOException {
        boolean epoll = Epoll.isAvailable();
        if (config.transparentListen() != null && !epoll) {
            throw new IOException("the transparent listener needs Netty's epoll transport (Linux): "
                    + Epoll.unavailabilityCause());
        }
        int threads = config.ioThreads() > 0 ? config.ioThreads() : 2 * Runtime.getRuntime().availableProcessors();
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(threads,
                epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
        Class<? extends SocketChannel> sc = epoll ? EpollSocketChannel.class : NioSocketChannel.class;
        Class<? extends ServerSocketChannel> ssc = epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
        ProxyRuntime rt = null;
        try {
            rt = new ProxyRuntime(config, ca, decisions, events, secrets, sc);
            Channel explicit = null;
            Channel transparent = null;
            if (config.explicitListen() != null) {
                explicit = bind(group, ssc, ProxyChannels.explicit(rt), config.explicitListen());
            }
            if (config.transparentListen() != null) {
                transparent = bind(group, ssc, ProxyChannels.transparent(rt, config.originalDestination()), config.transparentListen());
            }
            return new TetherProxy(group, rt, explicit, transparent, ssc, config.originalDestination());
        } catch (IOException | RuntimeException e) {
            if (rt != null) rt.close();
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            throw e instanceof IOException io ? io : new IOException("cannot start the proxy: " + e.getMessage(), e);
        }
    }

    private static Channel bind(EventLoopGroup group, Class<? extends ServerSocketChannel> ssc,
            io.netty.channel.ChannelHandler init, InetSocketAddress at) throws IOException {
        ServerBootstrap b = new ServerBootstrap()
                .group(group)
                .channel(ssc)
                .option(ChannelOption.SO_BACKLOG, 1024)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(init);
        try {
            return b.bind(at).sync().channel();
        } catch (Exception e) {
            throw new IOException("cannot listen on " + at + ": " + e.getMessage(), e);
        } 
    }

    /** Where the explicit listener is bound (with its real port), or null. */
    public InetSocketAddress explicitAddress() {
        return explicitChannel == null ? null : (InetSocketAddress) explicitChannel.localAddress();
    }

    /** Where the transparent listener is bound (with its real port), or null. */
    public InetSocketAddress transparentAddress() {
        return transparentChannel == null ? null : (InetSocketAddress) transparentChannel.localAddress();
    }

    @Override
    public void close() {
        if (explicitChannel != null) explicitChannel.close().syncUninterruptibly();
        if (transparentChannel != null) transparentChannel.close().syncUninterruptibly();
        for (Channel c : moreTransparent) c.close().syncUninterruptibly();
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        runtime.close();
    }
}
