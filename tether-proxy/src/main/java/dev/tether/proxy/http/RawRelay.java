package dev.tether.proxy.http;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpContent;
import io.netty.util.ReferenceCountUtil;

/**
 * Byte pass-through between two channels after an HTTP upgrade (WebSocket), with back-pressure:
 * reading from one side pauses while the other cannot take more.
 */
final class RawRelay extends ChannelInboundHandlerAdapter {
    private final Channel peer;
    private final long[] byteCounter;

    RawRelay(Channel peer, long[] byteCounter) {
        this.peer = peer;
        this.byteCounter = byteCounter;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf data;
        if (msg instanceof ByteBuf b) {
            data = b;
        } else if (msg instanceof HttpContent c) {
            // the HTTP decoder may still hand over bytes it read past the upgrade
            data = c.content().retain();
            ReferenceCountUtil.release(c);
        } else {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (!data.isReadable()) {
            data.release();
            return;
        }
        byteCounter[0] += data.readableBytes();
        peer.write(data);
        if (!peer.isWritable()) ctx.channel().config().setAutoRead(false);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        peer.flush();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (ctx.channel().isWritable()) peer.config().setAutoRead(true);
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (peer.isActive()) peer.writeAndFlush(io.netty.buffer.Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }
}
