package dev.tether.proxy.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tether.proxy.Hosts;
import dev.tether.proxy.decide.HeaderRewrite;
import dev.tether.proxy.decide.Verdict;
import dev.tether.proxy.event.HttpExchangeEvent;
import dev.tether.proxy.event.ProxyNotice;
import dev.tether.proxy.mcp.JsonRpc;
import dev.tether.proxy.mcp.McpConversation;
import dev.tether.proxy.mcp.SseEventSplitter;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The sandbox side of one connection after any TLS: parses each request, asks the policy, applies
 * header rewrites, hands JSON-RPC bodies to the MCP observer, and relays the exchange to an
 * upstream connection on the same event loop (so no locking), streaming bodies with back-pressure.
 * One exchange at a time (HTTP/1.1 without pipelining; pipelined requests wait in a queue).
 */
final class ClientHttpHandler extends ChannelInboundHandlerAdapter {
    private enum BodyMode { NONE, STREAM, AGGREGATE, DISCARD }

    private enum ResponseMode { STREAM, AGGREGATE_JSON, SSE_MCP, SSE_PROBE, IGNORE }

    /** One request/response pair and what is needed to report it. */
    private static final class Exchange {
        final long start = System.nanoTime();
        final HttpRequest request;
        final boolean keepAlive;
        String method;
        String host = "";
        int port;
        boolean tls;
        String path = "";
        Verdict verdict = Verdict.allow("not decided");
        int status;
        long requestBytes;
        long responseBytes;
        boolean requestDone;
        boolean responseDone;
        boolean responseStarted;
        boolean closeAfter;
        // MCP
        McpConversation mcp;
        List<ObjectNode> mcpErrors = List.of();
        boolean mcpBatch;
        List<HttpExchangeEvent.InjectedHeader> injected = new ArrayList<>(0);

        Exchange(HttpRequest r) {
            this.request = r;
            this.method = r.method().name();
            this.keepAlive = HttpUtil.isKeepAlive(r);
        }
    }

    private final ProxyRuntime rt;
    private ClientContext cc;
    private ChannelHandlerContext ctx;

    private Channel upstream;
    private UpstreamHandler upstreamHandler;
    private ClientContext.Target upstreamTarget;
    private boolean connecting;
    private final List<HttpObject> pendingToUpstream = new ArrayList<>();
    private final ArrayDeque<HttpObject> queuedInbound = new ArrayDeque<>();

    private Exchange ex;
    private BodyMode bodyMode = BodyMode.NONE;
    private CompositeByteBuf requestAggregate;
    private HttpRequest heldRequest;

    private ResponseMode responseMode = ResponseMode.STREAM;
    private HttpResponse heldResponse;
    private CompositeByteBuf responseAggregate;
    private SseEventSplitter sse;
    private McpConversation sseConversation;
    private String sseSessionKey;
    private McpSseSessions.Session sseSession;
    private ScheduledFuture<?> responseTimer;
    private boolean tunnelled;
    private boolean skipInterimLast;

    ClientHttpHandler(ProxyRuntime rt, ClientContext cc, Channel preconnected, UpstreamHandler preconnectedHandler) {
        this.rt = rt;
        this.cc = cc;
        if (preconnected != null) {
            this.upstream = preconnected;
            this.upstreamHandler = preconnectedHandler;
            this.upstreamTarget = cc.fixedTarget();
        }
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        if (upstreamHandler != null) upstreamHandler.attach(this);
    }

    // ---------------------------------------------------------------- sandbox -> proxy

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof HttpObject h)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (ex != null && ex.requestDone || !queuedInbound.isEmpty()) {
            queuedInbound.add(h);
            return;
        }
        handleInbound(h);
    }

    private void handleInbound(HttpObject h) {
        if (h instanceof HttpRequest r) {
            onRequest(r);
        }
        if (h instanceof HttpContent c) {
            onRequestContent(c);
        } else if (!(h instanceof HttpRequest)) {
            ReferenceCountUtil.release(h);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (upstream != null && !connecting) upstream.flush();
    }

    private void onRequest(HttpRequest req) {
        ex = new Exchange(req);
        if (req.decoderResult().isFailure()) {
            String why = String.valueOf(req.decoderResult().cause().getMessage());
            ex.closeAfter = true;
            bodyMode = BodyMode.DISCARD;
            respondLocal(HttpResponseStatus.BAD_REQUEST, "tether: malformed HTTP request: " + why);
            return;
        }
        if (req.method() == HttpMethod.CONNECT) {
            onConnect(req);
            return;
        }
        ClientContext.Target target;
        String pathAndQuery;
        try {
            TargetAndPath tp = resolveTarget(req);
            target = tp.target();
            pathAndQuery = tp.pathAndQuery();
        } catch (IllegalArgumentException e) {
            bodyMode = BodyMode.DISCARD;
            respondLocal(e instanceof MisdirectedException ? HttpResponseStatus.MISDIRECTED_REQUEST : HttpResponseStatus.BAD_REQUEST,
                    "tether: " + e.getMessage());
            return;
        }
        ex.host = target.host();
        ex.port = target.port();
        ex.tls = target.tls();
        ex.path = pathAndQuery;

        // Asked again for every request: a policy reload applies to the next request.
        Verdict v = rt.decisions.connect(Hosts.isIpLiteral(target.host()) ? null : target.host(), decisionAddress(target), target.port());
        ex.verdict = v;
        if (!v.allowed()) {
            bodyMode = BodyMode.DISCARD;
            respondDenied(v);
            return;
        }

        HttpHeaders headers = req.headers();
        stripHopByHop(headers, false);
        headers.set(HttpHeaderNames.HOST, Hosts.authority(target.host(), target.port(), target.tls() ? 443 : 80));
        for (HeaderRewrite rw : rt.decisions.headerRewrites(target.host(), target.port())) {
            Optional<String> value = rt.secrets.resolveValue(rw.value());
            if (value.isEmpty()) {
                notice(ProxyNotice.Kind.MISSING_SECRET, "header " + rw.header() + " for " + target.host() + " needs "
                        + rw.value() + " (" + rw.policyId() + "), which is in neither the secrets file nor the environment");
                bodyMode = BodyMode.DISCARD;
                respondLocal(HttpResponseStatus.BAD_GATEWAY, "tether: the policy sets header " + rw.header() + " from "
                        + rw.value() + ", which is not defined on the host (" + rw.policyId() + ")");
                return;
            }
            headers.set(rw.header(), value.get());
            ex.injected.add(new HttpExchangeEvent.InjectedHeader(rw.header(), rw.policyId()));
        }
        req.setUri(pathAndQuery);

        if (mayCarryJsonRpc(req)) {
            if (HttpUtil.is100ContinueExpected(req)) {
                // the body is judged before anything goes upstream: tether itself invites it
                ctx.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE));
                req.headers().remove(HttpHeaderNames.EXPECT);
            }
            bodyMode = BodyMode.AGGREGATE;
            heldRequest = req;
            requestAggregate = ctx.alloc().compositeBuffer(Integer.MAX_VALUE);
        } else {
            bodyMode = BodyMode.STREAM;
            sendUpstream(target, req);
        }
    }

    private void onRequestContent(HttpContent c) {
        if (ex == null) { // content without a request (the decoder's leftovers): nothing to attach it to
            c.release();
            return;
        }
        boolean last = c instanceof LastHttpContent;
        ex.requestBytes += c.content().readableBytes();
        switch (bodyMode) {
            case STREAM -> {
                sendUpstream(upstreamTargetFor(), c);
                if (last) requestSent();
            }
            case AGGREGATE -> {
                if (requestAggregate.readableBytes() + c.content().readableBytes() > rt.config.maxInspectedBodyBytes()) {
                    c.release();
                    requestAggregate.release();
                    requestAggregate = null;
                    ReferenceCountUtil.release(heldRequest);
                    heldRequest = null;
                    String why = "request body over " + rt.config.maxInspectedBodyBytes()
                            + " bytes: too large for tether to inspect, refused";
                    notice(ProxyNotice.Kind.BODY_TOO_LARGE, why);
                    ex.closeAfter = true;
                    bodyMode = BodyMode.DISCARD;
                    respondJson(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE,
                            JsonRpc.error(null, JsonRpc.TOO_LARGE, "tether: " + why, null));
                    if (last) requestBodyConsumed();
                    return;
                }
                requestAggregate.addComponent(true, c.content().retain());
                c.release();
                if (last) judgeAggregatedRequest();
            }
            case DISCARD, NONE -> {
                c.release();
                if (last) requestBodyConsumed();
            }
        }
    }

    private void requestBodyConsumed() {
        ex.requestDone = true;
        bodyMode = BodyMode.NONE;
        maybeFinish();
    }

    private void requestSent() {
        ex.requestDone = true;
        bodyMode = BodyMode.NONE;
        if (!ex.responseStarted && !ex.responseDone) armResponseTimer();
    }

    // ------------------------------------------------------------------ CONNECT

    private void onConnect(HttpRequest req) {
        bodyMode = BodyMode.DISCARD;
        ex.method = "CONNECT";
        if (cc.mode() != ClientContext.Mode.EXPLICIT) {
            respondLocal(HttpResponseStatus.METHOD_NOT_ALLOWED, "tether: CONNECT inside a tunnel is not allowed");
            return;
        }
        Hosts.HostPort hp;
        try {
            hp = Hosts.split(req.uri(), -1);
        } catch (IllegalArgumentException e) {
            respondLocal(HttpResponseStatus.BAD_REQUEST, "tether: bad CONNECT target: " + e.getMessage());
            return;
        }
        ex.host = hp.host();
        ex.port = hp.port();
        ex.path = "";
        Verdict v = rt.decisions.connect(Hosts.isIpLiteral(hp.host()) ? null : hp.host(), Hosts.literalOrNull(hp.host()), hp.port());
        ex.verdict = v;
        if (!v.allowed()) {
            ex.closeAfter = true;
            respondDenied(v);
            return;
        }
        ex.status = 200;
        ex.requestDone = true;
        ex.responseDone = true;
        emitExchange();
        // most tunnels carry TLS for this very host: have its leaf ready by the time SNI arrives
        rt.ca.prefetch(hp.host(), rt.mintThreads);
        ClientContext tunnel = cc.withFixedTarget(new ClientContext.Target(hp.host(), hp.port(), false), ClientContext.Mode.TUNNEL);
        ReferenceCountUtil.release(req);
        ChannelHandlerContext c = ctx;
        c.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, new HttpResponseStatus(200, "Connection established")));
        // The sniffer takes over first (so bytes the codec already holds reach it), then the codec goes.
        c.pipeline().replace(this, "sniff", new ProtocolSniffer(rt, tunnel));
        c.pipeline().remove(HttpServerCodec.class);
    }

    // ---------------------------------------------------------------- targets

    private record TargetAndPath(ClientContext.Target target, String pathAndQuery) {}

    private static final class MisdirectedException extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        MisdirectedException(String m) {
            super(m);
        }
    }

    private TargetAndPath resolveTarget(HttpRequest req) {
        String uri = req.uri();
        String hostHeader = req.headers().get(HttpHeaderNames.HOST);
        ClientContext.Target fixed = cc.fixedTarget();
        if (fixed != null) {
            if (!uri.startsWith("/")) uri = originForm(uri);
            if (hostHeader != null) {
                Hosts.HostPort hp = Hosts.split(hostHeader, fixed.port());
                if (!hp.host().equals(fixed.host())) {
                    throw new MisdirectedException("Host " + hp.host() + " does not match the connection's host " + fixed.host());
                }
            }
            return new TargetAndPath(fixed, uri);
        }
        if (cc.mode() == ClientContext.Mode.TRANSPARENT) {
            if (hostHeader == null) throw new IllegalArgumentException("request without a Host header");
            int port = cc.originalDestination().getPort();
            Hosts.HostPort hp = Hosts.split(hostHeader, port);
            return new TargetAndPath(new ClientContext.Target(hp.host(), port, false), uri.startsWith("/") ? uri : originForm(uri));
        }
        // explicit proxy: absolute-form
        if (uri.startsWith("/")) {
            throw new IllegalArgumentException("this is tether's proxy: send absolute-form requests (set HTTP_PROXY)");
        }
        try {
            URI u = new URI(uri);
            String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
            boolean tls;
            if (scheme.equals("http") || scheme.equals("ws")) tls = false;
            else if (scheme.equals("https") || scheme.equals("wss")) tls = true;
            else throw new IllegalArgumentException("unsupported scheme in " + uri);
            if (u.getRawAuthority() == null) throw new IllegalArgumentException("no host in " + uri);
            Hosts.HostPort hp = Hosts.split(u.getRawAuthority(), tls ? 443 : 80);
            return new TargetAndPath(new ClientContext.Target(hp.host(), hp.port(), tls), originForm(uri));
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("bad request URI: " + e.getMessage());
        }
    }

    private static String originForm(String uri) {
        try {
            URI u = new URI(uri);
            String p = u.getRawPath() == null || u.getRawPath().isEmpty() ? "/" : u.getRawPath();
            return u.getRawQuery() == null ? p : p + "?" + u.getRawQuery();
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("bad request URI: " + e.getMessage());
        }
    }

    private InetAddress decisionAddress(ClientContext.Target t) {
        InetAddress lit = Hosts.literalOrNull(t.host());
        if (lit != null) return lit;
        InetSocketAddress od = cc.originalDestination();
        return od == null ? null : od.getAddress();
    }

    private ClientContext.Target upstreamTargetFor() {
        return new ClientContext.Target(ex.host, ex.port, ex.tls);
    }

    // ------------------------------------------------------------------ MCP on requests

    private static boolean mayCarryJsonRpc(HttpRequest req) {
        HttpMethod m = req.method();
        if (m != HttpMethod.POST && m != HttpMethod.PUT && m != HttpMethod.PATCH) return false;
        String ct = req.headers().get(HttpHeaderNames.CONTENT_TYPE);
        // Judged whenever the body may be JSON: a server that accepts JSON-RPC with another
        // content type must not be a way around the observer.
        return ct == null || ct.toLowerCase(Locale.ROOT).contains("json") || ct.toLowerCase(Locale.ROOT).startsWith("text/plain");
    }

    private void judgeAggregatedRequest() {
        HttpRequest req = heldRequest;
        CompositeByteBuf body = requestAggregate;
        heldRequest = null;
        requestAggregate = null;
        bodyMode = BodyMode.NONE;
        byte[] bytes = ByteBufUtil.getBytes(body);
        if (!startsLikeJson(bytes)) {
            forwardFull(req, body);
            return;
        }
        String key = McpSseSessions.key(ex.host, ex.port, ex.path);
        McpSseSessions.Session session = rt.sseSessions.find(key);
        McpConversation conv = session != null ? session.conversation()
                : new McpConversation("streamable-http", ex.host, rt.decisions, rt.sink, rt.secrets.redactor());
        if (session == null) conv.mcpSession(req.headers().get("Mcp-Session-Id"));
        McpConversation.ClientJudgement j = conv.judgeClient(bytes);
        switch (j) {
            case McpConversation.ClientJudgement.NotJsonRpc n -> forwardFull(req, body);
            case McpConversation.ClientJudgement.Refused r -> {
                body.release();
                ReferenceCountUtil.release(req);
                ex.requestDone = true;
                respondJson(HttpResponseStatus.BAD_REQUEST, r.errorResponse());
            }
            case McpConversation.ClientJudgement.Judged jd -> {
                body.release();
                if (session != null) {
                    if (!jd.errors().isEmpty()) session.inject(jd.errors());
                    if (jd.forward() == null) {
                        ReferenceCountUtil.release(req);
                        ex.requestDone = true;
                        respondLocalBytes(HttpResponseStatus.ACCEPTED, "text/plain", "Accepted".getBytes(StandardCharsets.US_ASCII));
                        return;
                    }
                } else if (jd.forward() == null) {
                    ReferenceCountUtil.release(req);
                    ex.requestDone = true;
                    respondJson(HttpResponseStatus.OK, jd.batch() ? arrayOf(jd.errors()) : jd.errors().getFirst());
                    return;
                } else {
                    ex.mcp = conv;
                    ex.mcpErrors = jd.errors();
                    ex.mcpBatch = jd.batch();
                }
                forwardFull(req, Unpooled.wrappedBuffer(jd.forward()));
            }
        }
    }

    private static boolean startsLikeJson(byte[] b) {
        for (byte x : b) {
            if (x == ' ' || x == '\t' || x == '\r' || x == '\n') continue;
            return x == '{' || x == '[';
        }
        return false;
    }

    private void forwardFull(HttpRequest req, ByteBuf body) {
        DefaultFullHttpRequest full = new DefaultFullHttpRequest(req.protocolVersion(), req.method(), req.uri(), body);
        full.headers().set(req.headers());
        full.headers().remove(HttpHeaderNames.TRANSFER_ENCODING);
        HttpUtil.setContentLength(full, body.readableBytes());
        ReferenceCountUtil.release(req);
        sendUpstream(upstreamTargetFor(), full);
        if (upstream != null && !connecting) upstream.flush();
        requestSent();
    }

    private static ArrayNode arrayOf(List<ObjectNode> items) {
        ArrayNode a = JsonNodeFactory.instance.arrayNode();
        items.forEach(a::add);
        return a;
    }

    // ---------------------------------------------------------------- upstream connection

    private void sendUpstream(ClientContext.Target target, HttpObject msg) {
        if (upstream != null && !target.equals(upstreamTarget)) {
            closeUpstream();
        }
        if (upstream == null && !connecting) connect(target);
        if (connecting) {
            pendingToUpstream.add(msg);
            return;
        }
        if (upstream == null || !upstream.isActive()) {
            ReferenceCountUtil.release(msg);
            return;
        }
        upstream.write(msg);
        if (!upstream.isWritable()) ctx.channel().config().setAutoRead(false);
    }

    private void connect(ClientContext.Target target) {
        connecting = true;
        upstreamTarget = target;
        ctx.channel().config().setAutoRead(false);
        Channel client = ctx.channel();
        rt.resolverThreads.execute(() -> {
            InetSocketAddress addr;
            try {
                addr = rt.config.resolver().resolve(target.host(), target.port());
            } catch (Exception e) {
                client.eventLoop().execute(() -> upstreamFailed(target, "cannot resolve " + target.host() + ": " + e.getMessage()));
                return;
            }
            client.eventLoop().execute(() -> dial(target, addr));
        });
    }

    private void dial(ClientContext.Target target, InetSocketAddress addr) {
        if (!ctx.channel().isActive()) {
            connecting = false;
            releasePending();
            return;
        }
        Verdict resolved = decideResolved(rt, target.host(), addr);
        if (resolved != null && !resolved.allowed()) {
            // the name is allowed but where it points is not (DNS pointing at an internal network)
            connecting = false;
            upstreamTarget = null;
            releasePending();
            if (ex != null && !ex.responseStarted) {
                ex.verdict = resolved;
                ex.closeAfter = true;
                if (!ex.requestDone) bodyMode = BodyMode.DISCARD;
                respondDenied(resolved);
            }
            ctx.channel().config().setAutoRead(true);
            return;
        }
        UpstreamHandler h = new UpstreamHandler();
        Bootstrap b = UpstreamConnector.bootstrap(rt, ctx.channel().eventLoop(), target, h);
        b.connect(addr).addListener((ChannelFutureListener) f -> {
            if (!f.isSuccess()) {
                upstreamFailed(target, "cannot connect to " + target.host() + ":" + target.port() + ": " + f.cause().getMessage());
                return;
            }
            Channel ch = f.channel();
            SslHandler ssl = ch.pipeline().get(SslHandler.class);
            if (ssl == null) {
                upstreamReady(ch, h);
            } else {
                ssl.handshakeFuture().addListener(hf -> {
                    if (hf.isSuccess()) upstreamReady(ch, h);
                    else {
                        ch.close();
                        upstreamFailed(target, "TLS to " + target.host() + " failed: " + hf.cause().getMessage());
                    }
                });
            }
        });
    }

    /**
     * For a named host, the decision again with the address the name resolved to, so forbids on
     * addresses and networks ({@code Net::"10.0.0.0/8"}) hold however the name resolves. Null for
     * an IP literal (already decided with its address).
     */
    static Verdict decideResolved(ProxyRuntime rt, String host, InetSocketAddress addr) {
        if (Hosts.isIpLiteral(host) || addr.getAddress() == null) return null;
        Verdict v = rt.decisions.connect(host, addr.getAddress(), addr.getPort());
        if (v.allowed()) return v;
        return new Verdict(false, v.policyIds(), v.reason() + " (" + host + " resolved to " + addr.getAddress().getHostAddress() + ")");
    }

    private void upstreamReady(Channel ch, UpstreamHandler h) {
        connecting = false;
        upstream = ch;
        upstreamHandler = h;
        h.attach(this);
        for (HttpObject m : pendingToUpstream) upstream.write(m);
        pendingToUpstream.clear();
        upstream.flush();
        if (ex != null && ex.requestDone && !ex.responseStarted) armResponseTimer();
        updateAutoRead();
    }

    private void upstreamFailed(ClientContext.Target target, String why) {
        connecting = false;
        upstreamTarget = null;
        releasePending();
        notice(ProxyNotice.Kind.UPSTREAM_FAILURE, why);
        if (ex != null && !ex.responseStarted) {
            ex.closeAfter = true;
            if (!ex.requestDone) bodyMode = BodyMode.DISCARD;
            if (ex.mcp != null) {
                respondMcpFailure(HttpResponseStatus.BAD_GATEWAY, ex.mcp.failPending(-32603, why), why);
            } else {
                respondLocal(HttpResponseStatus.BAD_GATEWAY, "tether: " + why);
            }
        }
        ctx.channel().config().setAutoRead(true);
    }

    private void releasePending() {
        pendingToUpstream.forEach(ReferenceCountUtil::release);
        pendingToUpstream.clear();
    }

    private void closeUpstream() {
        if (upstream != null) {
            upstream.close();
            upstream = null;
            upstreamHandler = null;
            upstreamTarget = null;
        }
    }

    private void updateAutoRead() {
        boolean busy = ex != null && ex.requestDone && !ex.responseDone;
        boolean blocked = connecting || (upstream != null && !upstream.isWritable());
        ctx.channel().config().setAutoRead(!busy && !blocked);
    }

    private void armResponseTimer() {
        cancelResponseTimer();
        Exchange current = ex;
        responseTimer = ctx.executor().schedule(() -> {
            if (ex == current && !current.responseStarted && !current.responseDone) {
                String why = "upstream " + current.host + ":" + current.port + " did not answer within "
                        + rt.config.responseTimeout().toMillis() + " ms";
                notice(ProxyNotice.Kind.UPSTREAM_TIMEOUT, why);
                closeUpstream();
                current.closeAfter = false;
                if (current.mcp != null) {
                    respondMcpFailure(HttpResponseStatus.GATEWAY_TIMEOUT, current.mcp.failPending(JsonRpc.UPSTREAM_TIMEOUT, why), why);
                } else {
                    respondLocal(HttpResponseStatus.GATEWAY_TIMEOUT, "tether: " + why);
                }
            }
        }, rt.config.responseTimeout().toNanos(), TimeUnit.NANOSECONDS);
    }

    private void cancelResponseTimer() {
        if (responseTimer != null) {
            responseTimer.cancel(false);
            responseTimer = null;
        }
    }

    // ---------------------------------------------------------------- upstream -> sandbox

    void onUpstreamMessage(UpstreamHandler from, HttpObject msg) {
        if (from != upstreamHandler || ex == null || ex.responseDone) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (msg instanceof HttpResponse r) {
            cancelResponseTimer();
            int code = r.status().code();
            if (code >= 100 && code < 200 && code != 101) {
                // interim (100 Continue, 103): pass on and keep waiting; the decoder follows it
                // with an empty last content that does not end the exchange
                ctx.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, r.status()));
                ReferenceCountUtil.release(msg);
                skipInterimLast = true;
                return;
            }
            ex.responseStarted = true;
            ex.status = r.status().code();
            onResponseHead(r);
        }
        if (skipInterimLast && msg instanceof LastHttpContent l && !(msg instanceof HttpResponse)) {
            skipInterimLast = false;
            l.release();
            return;
        }
        if (msg instanceof HttpContent c) {
            onResponseContent(c);
        } else if (!(msg instanceof HttpResponse)) {
            ReferenceCountUtil.release(msg);
        }
    }

    private void onResponseHead(HttpResponse r) {
        stripHopByHop(r.headers(), true);
        String ct = r.headers().get(HttpHeaderNames.CONTENT_TYPE, "").toLowerCase(Locale.ROOT);
        boolean sseStream = ct.startsWith("text/event-stream");
        if (r.status().code() == 101) {
            ctx.writeAndFlush(r);
            switchToTunnel();
            return;
        }
        if (ex.mcp != null) {
            ex.mcp.mcpSession(r.headers().get("Mcp-Session-Id")); // assigned by the server's initialize answer
            if (sseStream) {
                responseMode = ResponseMode.SSE_MCP;
                sseConversation = ex.mcp;
                sse = new SseEventSplitter(rt.config.maxInspectedBodyBytes());
                r.headers().remove(HttpHeaderNames.CONTENT_LENGTH);
                HttpUtil.setTransferEncodingChunked(r, true);
                ctx.write(r);
                for (ObjectNode e : ex.mcpErrors) writeSseMessage(e);
                ctx.flush();
                return;
            }
            if (ct.contains("json")) {
                responseMode = ResponseMode.AGGREGATE_JSON;
                heldResponse = r;
                responseAggregate = ctx.alloc().compositeBuffer(Integer.MAX_VALUE);
                return;
            }
            if (!ex.mcpErrors.isEmpty()) {
                // e.g. 202 for a batch of notifications: the denied items still need their errors
                responseMode = ResponseMode.IGNORE;
                ReferenceCountUtil.release(r);
                respondJson(HttpResponseStatus.OK, ex.mcpBatch ? arrayOf(ex.mcpErrors) : ex.mcpErrors.getFirst());
                ex.status = 200;
                return;
            }
        } else if (sseStream && "GET".equals(ex.method)) {
            responseMode = ResponseMode.SSE_PROBE;
            sse = new SseEventSplitter(rt.config.maxInspectedBodyBytes());
            r.headers().remove(HttpHeaderNames.CONTENT_LENGTH);
            HttpUtil.setTransferEncodingChunked(r, true);
            ctx.writeAndFlush(r);
            return;
        }
        responseMode = ResponseMode.STREAM;
        if (!HttpUtil.isContentLengthSet(r) && !HttpUtil.isTransferEncodingChunked(r) && hasBody(r)) {
            HttpUtil.setTransferEncodingChunked(r, true); // close-delimited upstream, keep-alive downstream
        }
        ctx.write(r);
    }

    private boolean hasBody(HttpResponse r) {
        int code = r.status().code();
        return !"HEAD".equals(ex.method) && code >= 200 && code != 204 && code != 304;
    }

    private void onResponseContent(HttpContent c) {
        boolean last = c instanceof LastHttpContent;
        ex.responseBytes += c.content().readableBytes();
        switch (responseMode) {
            case STREAM -> {
                ctx.write(c);
                if (!ctx.channel().isWritable() && upstream != null) upstream.config().setAutoRead(false);
            }
            case IGNORE -> c.release();
            case AGGREGATE_JSON -> {
                if (responseAggregate.readableBytes() + c.content().readableBytes() > rt.config.maxInspectedBodyBytes()) {
                    c.release();
                    responseAggregate.release();
                    responseAggregate = null;
                    ReferenceCountUtil.release(heldResponse);
                    heldResponse = null;
                    responseMode = ResponseMode.IGNORE;
                    String why = "MCP response over " + rt.config.maxInspectedBodyBytes() + " bytes: too large to inspect, withheld";
                    notice(ProxyNotice.Kind.BODY_TOO_LARGE, why);
                    closeUpstream();
                    respondMcpFailure(HttpResponseStatus.BAD_GATEWAY, ex.mcp.failPending(JsonRpc.TOO_LARGE, why), why);
                    return;
                }
                responseAggregate.addComponent(true, c.content().retain());
                c.release();
                if (last) finishJsonResponse();
            }
            case SSE_MCP, SSE_PROBE -> {
                onSseBytes(c.content());
                c.release();
                if (last) {
                    if (sse != null && sse.pendingBytes() > 0) {
                        notice(ProxyNotice.Kind.TRUNCATED_STREAM, "SSE stream from " + ex.host + " ended inside an event ("
                                + sse.pendingBytes() + " bytes); the partial event was not delivered");
                    }
                    endSseSession();
                    ctx.write(LastHttpContent.EMPTY_LAST_CONTENT);
                }
            }
        }
        if (last) responseComplete();
    }

    private void finishJsonResponse() {
        HttpResponse head = heldResponse;
        heldResponse = null;
        byte[] bytes = ByteBufUtil.getBytes(responseAggregate);
        responseAggregate.release();
        responseAggregate = null;
        byte[] out = bytes.length == 0 ? bytes : ex.mcp.rewriteServer(bytes);
        if (out == null) {
            ReferenceCountUtil.release(head);
            responseMode = ResponseMode.IGNORE;
            String why = "the MCP server sent a malformed response";
            respondMcpFailure(HttpResponseStatus.BAD_GATEWAY, ex.mcp.failPending(-32603, why), why);
            return;
        }
        if (!ex.mcpErrors.isEmpty()) {
            out = mergeErrors(out, ex.mcpErrors);
        }
        DefaultFullHttpResponse full = new DefaultFullHttpResponse(head.protocolVersion(), head.status(), Unpooled.wrappedBuffer(out));
        full.headers().set(head.headers());
        full.headers().remove(HttpHeaderNames.TRANSFER_ENCODING);
        HttpUtil.setContentLength(full, out.length);
        ReferenceCountUtil.release(head);
        ctx.write(full);
    }

    private static byte[] mergeErrors(byte[] response, List<ObjectNode> errors) {
        ArrayNode arr = JsonNodeFactory.instance.arrayNode();
        try {
            JsonNode n = JsonRpc.parse(response);
            if (n.isArray()) arr.addAll((ArrayNode) n);
            else arr.add(n);
        } catch (java.io.IOException e) {
            // already validated by rewriteServer
        }
        errors.forEach(arr::add);
        return JsonRpc.write(arr);
    }

    private void onSseBytes(ByteBuf content) {
        if (sse == null) { // probe finished as not-MCP: raw pass-through
            ctx.write(new DefaultHttpContent(content.retain()));
            return;
        }
        List<SseEventSplitter.SseEvent> events;
        try {
            byte[] b = ByteBufUtil.getBytes(content);
            events = sse.feed(b, 0, b.length);
        } catch (IllegalStateException tooBig) {
            notice(ProxyNotice.Kind.BODY_TOO_LARGE, tooBig.getMessage());
            closeUpstream();
            ctx.close();
            return;
        }
        for (SseEventSplitter.SseEvent e : events) {
            if (responseMode == ResponseMode.SSE_PROBE) {
                if ("endpoint".equals(e.event()) && e.data() != null) {
                    startSseSession(e.data());
                    ctx.write(new DefaultHttpContent(Unpooled.wrappedBuffer(e.raw())));
                    continue;
                }
                if (sseConversation == null) {
                    // not the MCP SSE transport: stop parsing, pass everything through as it comes
                    ctx.write(new DefaultHttpContent(Unpooled.wrappedBuffer(e.raw())));
                    passThroughRemainder();
                    return;
                }
            }
            writeSseEvent(e);
        }
        ctx.flush();
    }

    private void passThroughRemainder() {
        SseEventSplitter s = sse;
        sse = null;
        responseMode = ResponseMode.SSE_PROBE;
        byte[] partial = s.takePending(); // the start of the next event: raw from here on
        if (partial.length > 0) ctx.write(new DefaultHttpContent(Unpooled.wrappedBuffer(partial)));
        ctx.flush();
    }

    private void writeSseEvent(SseEventSplitter.SseEvent e) {
        if (sseConversation == null || e.data() == null || (e.event() != null && !"message".equals(e.event()))) {
            ctx.write(new DefaultHttpContent(Unpooled.wrappedBuffer(e.raw())));
            return;
        }
        byte[] data = e.data().getBytes(StandardCharsets.UTF_8);
        byte[] out = sseConversation.rewriteServer(data);
        if (out == null) return; // unreadable: dropped (notice emitted)
        if (out == data) {
            ctx.write(new DefaultHttpContent(Unpooled.wrappedBuffer(e.raw())));
        } else {
            ctx.write(new DefaultHttpContent(Unpooled.wrappedBuffer(e.withData(new String(out, StandardCharsets.UTF_8)))));
        }
    }

    private void writeSseMessage(ObjectNode m) {
        String ev = "event: message\ndata: " + new String(JsonRpc.write(m), StandardCharsets.UTF_8) + "\n\n";
        ctx.write(new DefaultHttpContent(Unpooled.copiedBuffer(ev, StandardCharsets.UTF_8)));
    }

    private void startSseSession(String endpoint) {
        String pathAndQuery;
        String host = ex.host;
        int port = ex.port;
        try {
            URI u = new URI(endpoint.strip());
            if (u.getRawAuthority() != null) {
                Hosts.HostPort hp = Hosts.split(u.getRawAuthority(), "https".equalsIgnoreCase(u.getScheme()) ? 443 : 80);
                host = hp.host();
                port = hp.port();
            }
            URI resolved = new URI("http://x" + ex.path).resolve(u.getRawAuthority() != null
                    ? new URI(null, null, u.getRawPath(), u.getRawQuery(), null) : u);
            String p = resolved.getRawPath() == null || resolved.getRawPath().isEmpty() ? "/" : resolved.getRawPath();
            pathAndQuery = resolved.getRawQuery() == null ? p : p + "?" + resolved.getRawQuery();
        } catch (URISyntaxException | IllegalArgumentException e) {
            notice(ProxyNotice.Kind.MALFORMED_INPUT, "MCP SSE endpoint event with a bad URI: " + e.getMessage());
            return;
        }
        sseConversation = new McpConversation("sse", host, rt.decisions, rt.sink, rt.secrets.redactor());
        sseConversation.mcpSession(queryParam(pathAndQuery, "sessionId"));
        sseSessionKey = McpSseSessions.key(host, port, pathAndQuery);
        sseSession = new McpSseSessions.Session(sseConversation, ctx.channel());
        rt.sseSessions.register(sseSessionKey, sseSession);
        responseMode = ResponseMode.SSE_MCP;
    }

    private static String queryParam(String pathAndQuery, String name) {
        int q = pathAndQuery.indexOf('?');
        if (q < 0) return null;
        for (String kv : pathAndQuery.substring(q + 1).split("&")) {
            if (kv.startsWith(name + "=")) return kv.substring(name.length() + 1);
        }
        return null;
    }

    private void endSseSession() {
        if (sseSessionKey != null) {
            rt.sseSessions.remove(sseSessionKey, sseSession);
            sseConversation.abandonPending("SSE stream closed");
            sseSessionKey = null;
            sseSession = null;
        }
    }

    void onUpstreamReadComplete() {
        ctx.flush();
    }

    void onUpstreamWritabilityChanged(boolean writable) {
        updateAutoRead();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (upstream != null) upstream.config().setAutoRead(ctx.channel().isWritable());
        ctx.fireChannelWritabilityChanged();
    }

    void onUpstreamClosed(UpstreamHandler from) {
        if (from != upstreamHandler) return;
        upstream = null;
        upstreamHandler = null;
        upstreamTarget = null;
        cancelResponseTimer();
        if (ex != null && !ex.responseDone) {
            if (!ex.responseStarted) {
                if (ex.requestDone || bodyMode == BodyMode.STREAM) {
                    String why = "upstream " + ex.host + ":" + ex.port + " closed the connection without answering";
                    notice(ProxyNotice.Kind.UPSTREAM_FAILURE, why);
                    ex.closeAfter = true;
                    if (!ex.requestDone) bodyMode = BodyMode.DISCARD;
                    if (ex.mcp != null) respondMcpFailure(HttpResponseStatus.BAD_GATEWAY, ex.mcp.failPending(-32603, why), why);
                    else respondLocal(HttpResponseStatus.BAD_GATEWAY, "tether: " + why);
                }
            } else {
                // mid-response: the only honest signal left is closing the sandbox side too
                if (responseMode == ResponseMode.SSE_MCP || responseMode == ResponseMode.SSE_PROBE) {
                    if (sse != null && sse.pendingBytes() > 0) {
                        notice(ProxyNotice.Kind.TRUNCATED_STREAM, "SSE stream from " + ex.host + " cut inside an event");
                    }
                    endSseSession();
                }
                if (ex.mcp != null) ex.mcp.abandonPending("upstream closed mid-response");
                ex.closeAfter = true;
                ex.responseDone = true;
                emitExchange();
                ctx.flush();
                ctx.close();
            }
        }
    }

    void onUpstreamError(UpstreamHandler from, Throwable cause) {
        if (from == upstreamHandler) notice(ProxyNotice.Kind.UPSTREAM_FAILURE, "upstream " + upstreamTargetString() + ": " + cause.getMessage());
    }

    private String upstreamTargetString() {
        return upstreamTarget == null ? "?" : upstreamTarget.host() + ":" + upstreamTarget.port();
    }

    // ---------------------------------------------------------------- WebSocket / upgrade

    private void switchToTunnel() {
        tunnelled = true;
        Channel up = upstream;
        long[] counter = new long[1];
        ex.responseDone = true;
        ex.requestDone = true;
        emitExchange();
        // Relays go in first so bytes the codecs already hold reach them, then the codecs leave.
        up.pipeline().replace(UpstreamHandler.class, "relay", new RawRelay(ctx.channel(), counter));
        up.pipeline().remove(HttpClientCodec.class);
        ChannelHandlerContext c = ctx;
        c.pipeline().replace(this, "relay", new RawRelay(up, counter));
        c.pipeline().remove(HttpServerCodec.class);
        c.channel().config().setAutoRead(true);
        up.config().setAutoRead(true);
    }

    // ---------------------------------------------------------------- local responses

    private void respondDenied(Verdict v) {
        String rules = v.policyIds().isEmpty() ? "no permit matched (default deny)" : String.join(", ", v.policyIds());
        String body = "tether: " + ex.method + " " + ex.host + ":" + ex.port + " denied by policy\nreason: " + v.reason()
                + "\nrules: " + rules + "\n";
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.FORBIDDEN,
                Unpooled.copiedBuffer(body, StandardCharsets.UTF_8));
        r.headers().set("X-Tether-Decision", "deny");
        writeLocal(r, "text/plain; charset=utf-8");
    }

    /** JSON-RPC errors for the calls that failed (one per id; a batch gets an array), plus tether's own. */
    private void respondMcpFailure(HttpResponseStatus status, List<ObjectNode> failed, String why) {
        List<ObjectNode> all = new ArrayList<>(failed);
        all.addAll(ex.mcpErrors);
        if (all.isEmpty()) all.add(JsonRpc.error(null, -32603, "tether: " + why, null));
        respondJson(status, ex.mcpBatch || all.size() > 1 ? arrayOf(all) : all.getFirst());
    }

    private void respondLocal(HttpResponseStatus status, String text) {
        respondLocalBytes(status, "text/plain; charset=utf-8", (text + "\n").getBytes(StandardCharsets.UTF_8));
    }

    private void respondJson(HttpResponseStatus status, JsonNode json) {
        respondLocalBytes(status, "application/json", JsonRpc.write(json));
    }

    private void respondLocalBytes(HttpResponseStatus status, String contentType, byte[] body) {
        writeLocal(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.wrappedBuffer(body)), contentType);
    }

    private void writeLocal(FullHttpResponse r, String contentType) {
        cancelResponseTimer();
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
        HttpUtil.setContentLength(r, r.content().readableBytes());
        ex.status = r.status().code();
        ex.responseBytes += r.content().readableBytes();
        ex.responseStarted = true;
        if (ex.closeAfter || !ex.keepAlive) r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        ctx.writeAndFlush(r);
        ex.responseDone = true;
        maybeFinish();
    }

    private void responseComplete() {
        if (ex == null || ex.responseDone) { // already answered locally (refused, malformed, too large)
            ctx.flush();
            return;
        }
        ex.responseDone = true;
        ctx.flush();
        if (!ex.requestDone && bodyMode == BodyMode.STREAM) {
            // upstream answered before the body was sent (e.g. 413): it stopped reading, so the rest
            // of the body goes nowhere and neither connection can be reused
            bodyMode = BodyMode.DISCARD;
            ex.closeAfter = true;
            closeUpstream();
        }
        if (upstream != null && upstream.isActive()) upstream.config().setAutoRead(true);
        maybeFinish();
    }

    private void maybeFinish() {
        if (ex == null || !ex.responseDone || !ex.requestDone) {
            updateAutoRead();
            return;
        }
        Exchange done = ex;
        ex = null;
        if (done.mcp != null) {
            // streamable HTTP answers on the same exchange: what is still pending got no answer
            done.mcp.abandonPending("HTTP " + done.status + " without a JSON-RPC answer");
        }
        if (upstream != null && hasUnsentBytes(upstream)) {
            // the answer came before upstream took the whole request: that connection is spoilt
            closeUpstream();
        }
        responseMode = ResponseMode.STREAM;
        sse = null;
        sseConversation = null;
        emit(done);
        if (done.closeAfter || !done.keepAlive) {
            ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
            return;
        }
        while (ex == null && !queuedInbound.isEmpty()) {
            handleInbound(queuedInbound.poll());
        }
        while (ex != null && !ex.requestDone && !queuedInbound.isEmpty()) {
            handleInbound(queuedInbound.poll());
        }
        if (upstream != null && !connecting) upstream.flush();
        updateAutoRead();
    }

    private static boolean hasUnsentBytes(Channel ch) {
        var out = ch.unsafe().outboundBuffer();
        return !ch.isWritable() || (out != null && out.totalPendingWriteBytes() > 0);
    }

    private void emitExchange() {
        emit(ex);
    }

    private void emit(Exchange e) {
        InetSocketAddress od = cc.originalDestination();
        rt.sink.emit(new HttpExchangeEvent(Instant.now(), cc.clientAddress(), e.method, e.tls ? "https" : "http", e.host, e.port,
                pathOnly(e.path), e.status, e.requestBytes, e.responseBytes, System.nanoTime() - e.start, e.verdict,
                od == null ? null : od.getAddress().getHostAddress() + ":" + od.getPort(), e.injected));
    }

    /** Query strings often carry tokens: events keep the path only. */
    private static String pathOnly(String p) {
        int q = p.indexOf('?');
        return q < 0 ? p : p.substring(0, q);
    }

    private void notice(ProxyNotice.Kind kind, String detail) {
        rt.sink.emit(new ProxyNotice(Instant.now(), kind, ex == null ? null : ex.host, rt.secrets.redactor().redact(detail)));
    }

    private static void stripHopByHop(HttpHeaders h, boolean response) {
        String connection = h.get(HttpHeaderNames.CONNECTION);
        boolean upgrade = h.contains(HttpHeaderNames.UPGRADE);
        if (connection != null) {
            for (String token : connection.split(",")) {
                String t = token.strip();
                if (!t.equalsIgnoreCase("upgrade") && !t.isEmpty()) h.remove(t);
            }
        }
        h.remove("Proxy-Connection");
        h.remove(HttpHeaderNames.PROXY_AUTHORIZATION);
        h.remove(HttpHeaderNames.KEEP_ALIVE);
        h.remove(HttpHeaderNames.TE);
        h.remove(HttpHeaderNames.TRAILER);
        if (upgrade) {
            h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE);
        } else {
            h.remove(HttpHeaderNames.CONNECTION);
        }
    }

    // ---------------------------------------------------------------- lifecycle

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        cancelResponseTimer();
        releasePending();
        queuedInbound.forEach(ReferenceCountUtil::release);
        queuedInbound.clear();
        if (requestAggregate != null) {
            requestAggregate.release();
            requestAggregate = null;
        }
        if (responseAggregate != null) {
            responseAggregate.release();
            responseAggregate = null;
        }
        ReferenceCountUtil.release(heldRequest);
        ReferenceCountUtil.release(heldResponse);
        heldRequest = null;
        heldResponse = null;
        endSseSession();
        if (ex != null && ex.mcp != null) ex.mcp.abandonPending("client closed the connection");
        if (ex != null && !ex.responseDone) {
            ex.responseDone = true;
            emit(ex);
        }
        if (!tunnelled) closeUpstream();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }

}
