package dev.tether.proxy.http;

import dev.tether.proxy.Hosts;
import dev.tether.proxy.decide.Verdict;
import dev.tether.proxy.event.HttpExchangeEvent;
import dev.tether.proxy.event.ProxyNotice;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.ssl.AbstractSniHandler;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.List;

/**
 * Terminates the sandbox's TLS with a leaf for the requested host. Reads SNI from the ClientHello,
 * asks the policy, and, when allowed, first completes the upstream TLS handshake so that the
 * sandbox is offered exactly the ALPN protocol upstream agreed to (honest ALPN). Denied or
 * unreachable hosts still get a completed handshake, so the client sees a readable 403/502
 * instead of a TLS alert.
 */
final class MitmTlsHandler extends AbstractSniHandler<MitmTlsHandler.Setup> {
    record Setup(SslContext context, String host, Channel upstream, UpstreamHandler upstreamHandler) {}

    private final ProxyRuntime rt;
    private final ClientContext cc;

    MitmTlsHandler(ProxyRuntime rt, ClientContext cc) {
        super(rt.config.connectTimeout().toMillis());
        this.rt = rt;
        this.cc = cc;
    }

    @Override
    protected Future<Setup> lookup(ChannelHandlerContext ctx, String sni) {
        Promise<Setup> promise = ctx.executor().newPromise();
        String host;
        int port;
        try {
            host = sni != null ? Hosts.normalise(sni) : fallbackHost();
            port = cc.fixedTarget() != null ? cc.fixedTarget().port() : cc.originalDestination().getPort();
        } catch (IllegalArgumentException e) {
            return promise.setFailure(e);
        }
        ClientContext.Target fixed = cc.fixedTarget();
        if (fixed != null && sni != null && !Hosts.isIpLiteral(fixed.host()) && !fixed.host().equals(host)) {
            // CONNECT a.example then SNI b.example: refuse rather than pick one of the two names.
            return promise.setFailure(new IllegalArgumentException("SNI " + host + " does not match CONNECT host " + fixed.host()));
        }
        ClientContext.Target target = new ClientContext.Target(host, port, true);
        Verdict v = rt.decisions.connect(Hosts.isIpLiteral(host) ? null : host,
                Hosts.literalOrNull(host) != null ? Hosts.literalOrNull(host)
                        : cc.originalDestination() == null ? null : cc.originalDestination().getAddress(),
                port);
        if (!v.allowed()) {
            // Handshake anyway (no upstream): each request then gets a 403 that names the rule.
            promise.setSuccess(new Setup(rt.serverContext(ApplicationProtocolNames.HTTP_1_1), host, null, null));
            return promise;
        }
        Channel client = ctx.channel();
        rt.ca.prefetch(host, rt.mintThreads);
        rt.resolverThreads.execute(() -> {
            InetSocketAddress addr;
            try {
                addr = rt.config.resolver().resolve(host, port);
            } catch (Exception e) {
                client.eventLoop().execute(() -> noUpstream(promise, host, "cannot resolve " + host + ": " + e.getMessage()));
                return;
            }
            client.eventLoop().execute(() -> dial(client, promise, target, addr));
        });
        return promise;
    }

    private void dial(Channel client, Promise<Setup> promise, ClientContext.Target target, InetSocketAddress addr) {
        Verdict resolved = ClientHttpHandler.decideResolved(rt, target.host(), addr);
        if (resolved != null && !resolved.allowed()) {
            // handshake without upstream: each request is decided again and answered 403
            promise.trySuccess(new Setup(rt.serverContext(ApplicationProtocolNames.HTTP_1_1), target.host(), null, null));
            return;
        }
        UpstreamHandler h = new UpstreamHandler();
        UpstreamConnector.bootstrap(rt, client.eventLoop(), target, h).connect(addr).addListener((ChannelFutureListener) f -> {
            if (!f.isSuccess()) {
                noUpstream(promise, target.host(), "cannot connect to " + target.host() + ":" + target.port() + ": " + f.cause().getMessage());
                return;
            }
            Channel up = f.channel();
            SslHandler ssl = up.pipeline().get(SslHandler.class);
            ssl.handshakeFuture().addListener(hf -> {
                if (!hf.isSuccess()) {
                    up.close();
                    noUpstream(promise, target.host(), "TLS to " + target.host() + " failed: " + hf.cause().getMessage());
                    return;
                }
                // Offer the sandbox only what upstream negotiated (null: upstream did no ALPN).
                String alpn = ssl.applicationProtocol();
                promise.trySuccess(new Setup(rt.serverContext(alpn), target.host(), up, h));
            });
        });
    }

    private void noUpstream(Promise<Setup> promise, String host, String why) {
        rt.sink.emit(new ProxyNotice(Instant.now(), ProxyNotice.Kind.UPSTREAM_FAILURE, host, why));
        // Still terminate TLS: the request path retries the connection and answers 502 with the reason.
        promise.trySuccess(new Setup(rt.serverContext(ApplicationProtocolNames.HTTP_1_1), host, null, null));
    }

    private String fallbackHost() {
        if (cc.fixedTarget() != null) return cc.fixedTarget().host();
        return Hosts.normalise(cc.originalDestination().getAddress().getHostAddress());
    }

    @Override
    protected void onLookupComplete(ChannelHandlerContext ctx, String hostname, Future<Setup> future) {
        if (!future.isSuccess()) {
            String why = String.valueOf(future.cause().getMessage());
            rt.sink.emit(new ProxyNotice(Instant.now(), ProxyNotice.Kind.TLS_FAILURE, hostname, why));
            rt.sink.emit(new HttpExchangeEvent(Instant.now(), cc.clientAddress(), "TLS", "https", hostname == null ? "" : hostname,
                    cc.fixedTarget() != null ? cc.fixedTarget().port() : cc.originalDestination() == null ? 0 : cc.originalDestination().getPort(),
                    "", 0, 0, 0, 0, Verdict.deny("refused: " + why),
                    cc.originalDestination() == null ? null : cc.originalDestination().getAddress().getHostAddress() + ":"
                            + cc.originalDestination().getPort(), List.of()));
            ctx.close();
            return;
        }
        Setup s = future.getNow();
        if (ctx.isRemoved()) {
            // The sandbox closed the connection while the upstream was being prepared: nothing is
            // left to hand the upstream to, so release it (it would otherwise stay open).
            if (s.upstream() != null) s.upstream().close();
            return;
        }
        ClientContext bound = cc.withFixedTarget(new ClientContext.Target(s.host(), cc.fixedTarget() != null
                ? cc.fixedTarget().port() : cc.originalDestination().getPort(), true),
                cc.mode() == ClientContext.Mode.TRANSPARENT ? ClientContext.Mode.TRANSPARENT : ClientContext.Mode.TUNNEL);
        // the judged host rides along as the engine's peer host: LeafKeyManager serves its leaf
        SslHandler tls = s.context().newHandler(ctx.alloc(), s.host(), bound.fixedTarget().port());
        ctx.pipeline().addAfter(ctx.name(), "client", new ClientHttpHandler(rt, bound, s.upstream(), s.upstreamHandler()));
        ctx.pipeline().addAfter(ctx.name(), "http", ProtocolSniffer.newServerCodec());
        ctx.pipeline().replace(this, "tls", tls);
    }
}
