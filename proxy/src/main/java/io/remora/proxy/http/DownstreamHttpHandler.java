package io.remora.proxy.http;

import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import io.remora.proxy.ProxyContext;
import io.remora.proxy.listener.ConnectionInfo;
import io.remora.proxy.listener.ListenerSpec;

import java.util.ArrayDeque;

/**
 * Last handler of a downstream HTTP/1.1 connection (after {@code HttpServerCodec}), and that connection as the
 * {@link DownstreamStream} its exchanges write to (the connection is the stream: nothing is allocated per request for
 * it). The exchanges themselves are {@link StreamExchanges}', as on an HTTP/2 stream ({@link H2DownstreamHandler}).
 * Runs one exchange at a time; reading goes on between requests (toggling autoRead would cost two epoll_ctl calls per
 * request), a pipelined next request is queued until the current response is out, and only a long queue stops
 * reading.
 *
 * <p>A request head waits for the next part the codec decodes from the same read: a request without a body (the
 * codec's {@code EMPTY_LAST_CONTENT} right behind its head, most requests) begins its exchange as one
 * {@code FullHttpRequest}, which goes upstream as one write and one buffer instead of two. Anything else behind the
 * head, the read's end, the end of the pipelined queue or of the connection begins it as it is first.
 */
public final class DownstreamHttpHandler extends ChannelInboundHandlerAdapter implements DownstreamStream {
    /** Fired on a downstream pipeline when the proxy drains: finish the current exchange, then close. */
    public static final Object DRAIN = new Object() {
        @Override
        public String toString() {
            return "DRAIN";
        }
    };

    /** Decoded parts of pipelined requests held while one exchange runs, before reading stops. */
    private static final int MAX_PIPELINED_PARTS = 32;

    private final ProxyContext pc;
    private final ListenerSpec listener;
    private final ConnectionInfo connection;
    private ChannelHandlerContext ctx;
    private StreamExchanges exchanges;
    private ArrayDeque<Object> pipelined;
    /** The clock on request heads, told when one arrived and when its exchange ended. */
    private RequestHeadTimeout headTimeout;
    /** The connection is being closed after a response: whatever the codec still decodes is dropped. */
    private boolean closing;
    /** A request head whose exchange begins with the next part, when that shows there is no body. */
    private HttpRequest heldHead;

    /** @param connection the downstream connection, read once its TLS (if any) settled */
    public DownstreamHttpHandler(ProxyContext pc, ListenerSpec listener, ConnectionInfo connection) {
        this.pc = pc;
        this.listener = listener;
        this.connection = connection;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        this.headTimeout = ctx.pipeline().get(RequestHeadTimeout.class);
        this.exchanges = new StreamExchanges(pc, listener, connection, false, this);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (closing) {
            // Requests behind one that closes the connection (a 400, Connection: close) are never served: they
            // may be bytes a lenient parser upstream would have read differently.
            ReferenceCountUtil.release(msg);
            return;
        }
        if (!(msg instanceof HttpObject part)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (headTimeout != null && !exchanges.running() && part instanceof HttpRequest) {
            headTimeout.headReceived();
        }
        HttpRequest head = heldHead;
        if (head != null) {
            heldHead = null;
            if (part == LastHttpContent.EMPTY_LAST_CONTENT) {
                exchanges.read(new DefaultFullHttpRequest(head.protocolVersion(), head.method(), head.uri(),
                        Unpooled.EMPTY_BUFFER, head.headers(), EmptyHttpHeaders.INSTANCE));
                return;
            }
            exchanges.read(head);
        }
        if (!exchanges.running() && part instanceof HttpRequest req && !(part instanceof HttpContent)
                && req.decoderResult().isSuccess()) {
            heldHead = req;
            return;
        }
        if (!exchanges.read(part)) {
            // The next pipelined request, decoded from bytes already read: it waits its turn.
            if (pipelined == null) {
                pipelined = new ArrayDeque<>(2);
            }
            pipelined.add(part);
            if (pipelined.size() > MAX_PIPELINED_PARTS) {
                ctx.channel().config().setAutoRead(false);
            }
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        beginHeld();
        exchanges.readComplete();
        ctx.fireChannelReadComplete();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        exchanges.writabilityChanged(ctx.channel().isWritable());
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        beginHeld();
        exchanges.closed();
        releasePipelined();
        ctx.fireChannelInactive();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt == DRAIN) {
            exchanges.closeAfterResponse();
            if (!exchanges.running()) {
                ctx.close();
            }
            return;
        }
        if (evt instanceof IdleStateEvent) {
            if (!exchanges.running()) {
                ctx.close();
            }
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }

    // ---- the connection as the exchanges' stream -----------------------------------------------------------

    /** The current exchange ended: close, or go on with the next request. */
    @Override
    public void exchangeFinished() {
        if (exchanges.closesAfterResponse() || exchanges.drainsHere()) {
            closing = true;
            releasePipelined();
            ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
            return;
        }
        if (!ctx.channel().isActive()) {
            return;
        }
        if (!ctx.channel().config().isAutoRead()) {
            ctx.channel().config().setAutoRead(true);
        }
        if (headTimeout != null) {
            headTimeout.exchangeFinished();
        }
        if (pipelined != null) {
            Object next;
            while ((!exchanges.running() || exchanges.readingBody()) && (next = pipelined.poll()) != null) {
                channelRead(ctx, next);
            }
            // No read-complete follows bytes that were read before: a head the queue ended with begins now, and
            // what went upstream is flushed as a read's end would.
            beginHeld();
            exchanges.readComplete();
        }
    }

    /** A held head begins its exchange as it is: nothing more of this request is coming in this read. */
    private void beginHeld() {
        HttpRequest head = heldHead;
        if (head != null) {
            heldHead = null;
            exchanges.read(head);
        }
    }

    @Override
    public void write(HttpObject msg) {
        // Nothing waits on these writes: a void promise saves a promise per body part; a failed write surfaces as
        // exceptionCaught, which closes the connection.
        ctx.write(msg, ctx.voidPromise());
    }

    @Override
    public void writeAndFlush(HttpObject msg) {
        ctx.writeAndFlush(msg, ctx.voidPromise());
    }

    @Override
    public void flush() {
        ctx.flush();
    }

    @Override
    public boolean isWritable() {
        return ctx.channel().isWritable();
    }

    @Override
    public void reading(boolean on) {
        ctx.channel().config().setAutoRead(on);
    }

    @Override
    public boolean reading() {
        return ctx.channel().config().isAutoRead();
    }

    @Override
    public boolean isActive() {
        return ctx.channel().isActive();
    }

    @Override
    public void abort() {
        ctx.close();
    }

    @Override
    public void tunnel(Channel upstream, Splice.Closed onClosed) {
        Splice.tunnel(ctx.channel(), upstream, onClosed);
    }

    @Override
    public ByteBufAllocator alloc() {
        return ctx.alloc();
    }

    @Override
    public EventLoop eventLoop() {
        return ctx.channel().eventLoop();
    }

    private void releasePipelined() {
        if (pipelined != null) {
            Object m;
            while ((m = pipelined.poll()) != null) {
                ReferenceCountUtil.release(m);
            }
        }
    }
}
