package dev.tether.proxy.http;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpObject;
import io.netty.util.ReferenceCountUtil;

/** Upstream side of an exchange: hands responses to the sandbox-side handler that owns it. */
final class UpstreamHandler extends ChannelInboundHandlerAdapter {
    private ClientHttpHandler owner;
    private boolean closedBeforeOwner;

    void attach(ClientHttpHandler o) {
        this.owner = o;
        if (closedBeforeOwner) o.onUpstreamClosed(this);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (owner == null || !(msg instanceof HttpObject h)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        owner.onUpstreamMessage(this, h);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (owner != null) owner.onUpstreamReadComplete();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (owner != null) owner.onUpstreamWritabilityChanged(ctx.channel().isWritable());
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (owner != null) owner.onUpstreamClosed(this);
        else closedBeforeOwner = true;
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (owner != null) owner.onUpstreamError(this, cause);
        ctx.close();
    }
}
