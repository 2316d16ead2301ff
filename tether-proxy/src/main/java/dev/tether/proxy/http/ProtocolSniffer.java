package dev.tether.proxy.http;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.http.HttpServerCodec;
import java.util.List;

/**
 * First bytes of a CONNECT tunnel or a transparently intercepted connection: a TLS record
 * (0x16, handshake) goes to the MITM, anything else is read as plain HTTP. Other protocols fail
 * in the HTTP decoder and are refused (the proxy never relays bytes it cannot judge).
 */
final class ProtocolSniffer extends ByteToMessageDecoder {
    private static final byte TLS_HANDSHAKE = 0x16;
    private final ProxyRuntime rt;
    private final ClientContext cc;

    ProtocolSniffer(ProxyRuntime rt, ClientContext cc) {
        this.rt = rt;
        this.cc = cc;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (!in.isReadable()) return;
        if (in.getByte(in.readerIndex()) == TLS_HANDSHAKE) {
            ctx.pipeline().replace(this, "mitm", new MitmTlsHandler(rt, cc));
        } else {
            ClientContext plain = cc.fixedTarget() == null ? cc
                    : cc.withFixedTarget(new ClientContext.Target(cc.fixedTarget().host(), cc.fixedTarget().port(), false), cc.mode());
            ctx.pipeline().addAfter(ctx.name(), "client", new ClientHttpHandler(rt, plain, null, null));
            ctx.pipeline().replace(this, "http", newServerCodec());
        }
    }

    static HttpServerCodec newServerCodec() {
        return new HttpServerCodec(8192, 64 * 1024, 64 * 1024);
    }
}
