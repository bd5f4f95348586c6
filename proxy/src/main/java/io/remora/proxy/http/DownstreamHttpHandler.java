package io.remora.proxy.http;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import io.remora.proxy.ProxyContext;
import io.remora.proxy.listener.ConnectionInfo;
import io.remora.proxy.listener.ListenerSpec;

import java.net.InetSocketAddress;
import java.util.ArrayDeque;

/**
 * Last handler of a downstream stream that speaks {@code HttpObject}s: an HTTP/1.1 connection (after
 * {@code HttpServerCodec}) or one HTTP/2 stream (after {@code Http2StreamFrameToHttpObjectCodec}). One
 * request model for both, so routing and policies are written once. Runs one exchange at a time; on
 * HTTP/1.1 reading goes on between requests (toggling autoRead would cost two epoll_ctl calls per
 * request), a pipelined next request is queued until the current response is out, and only a long
 * queue stops reading.
 *
 * <p>On HTTP/1.1 a request head waits for the next part the codec decodes from the same read: a request without a
 * body (the codec's {@code EMPTY_LAST_CONTENT} right behind its head, most requests) begins its exchange as one
 * {@code FullHttpRequest}, which goes upstream as one write and one buffer instead of two. Anything else behind the
 * head, the read's end, the end of the pipelined queue or of the connection begins it as it is first.
 */
public final class DownstreamHttpHandler extends ChannelInboundHandlerAdapter implements Router.Request {
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
    private final boolean h2;
    private ChannelHandlerContext ctx;
    private HttpExchange exchange;
    private ArrayDeque<Object> pipelined;
    private boolean closeAfterResponse;
    /** HTTP/1.1 only: the clock on request heads, told when one arrived and when its exchange ended. */
    private RequestHeadTimeout headTimeout;
    private DeadlineTimer deadlines;
    /** The connection is being closed after a response: whatever the codec still decodes is dropped. */
    private boolean closing;
    /** HTTP/1.1: a request head whose exchange begins with the next part, when that shows there is no body. */
    private HttpRequest heldHead;

    /** @param connection the downstream connection, read once its TLS (if any) settled; shared by its streams */
    public DownstreamHttpHandler(ProxyContext pc, ListenerSpec listener, ConnectionInfo connection, boolean h2) {
        this.pc = pc;
        this.listener = listener;
        this.connection = connection;
        this.h2 = h2;
    }

    boolean h2() {
        return h2;
    }

    /** The current request's: set when its exchange begins (one exchange at a time runs on a stream). */
    private String calledService;

    // What the router reads of the current request's connection (Router.Request): no object per request for it.

    @Override
    public ListenerSpec listener() {
        return listener;
    }

    @Override
    public InetSocketAddress originalDst() {
        return connection.originalDst();
    }

    /** Inbound over mutual TLS: the service the source sidecar routed the current request to; else null. */
    @Override
    public String calledService() {
        return calledService;
    }

    void calledService(String service) {
        this.calledService = service;
    }

    /** What the access log tells of the caller's connection: its port and the TLS server name it asked for. */
    void describeConnection(io.remora.proxy.log.StreamInfo info) {
        info.downstreamRemotePort(connection.peerPort());
        info.sni(connection.sni());
    }

    String remoteIp() {
        return connection.peerIp();
    }

    /** The downstream peer's verified SPIFFE ID (mutual TLS) as text, or null. */
    @Override
    public String peerPrincipal() {
        return connection.peerPrincipal();
    }

    /** The namespace in the downstream peer's SPIFFE ID, or null. */
    @Override
    public String peerNamespace() {
        return connection.peerNamespace();
    }

    /** The downstream peer's address (for an HTTP/2 stream, its connection's). */
    @Override
    public java.net.SocketAddress downstreamRemote() {
        return connection.peer();
    }

    /** The downstream connection (or stream) is closed: nobody is left to answer. */
    boolean downstreamGone() {
        return !ctx.channel().isActive();
    }

    /**
     * Whether this stream's connection is being drained: inbound only, since the app's outbound calls are served as
     * usual until the proxy stops (an app finishing its work still reaches its dependencies).
     */
    boolean drainsHere() {
        return pc.draining() && !listener.outbound();
    }

    void closeAfterResponse() {
        closeAfterResponse = true;
    }

    boolean closesAfterResponse() {
        return closeAfterResponse;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        this.headTimeout = h2 ? null : ctx.pipeline().get(RequestHeadTimeout.class);
        this.deadlines = new DeadlineTimer(ctx.executor(), pc.environment().ticker());
    }

    /** The timer of this stream's exchanges' deadlines (on HTTP/1.1 one after another on the connection). */
    DeadlineTimer deadlines() {
        return deadlines;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (closing) {
            // Requests behind one that closes the connection (a 400, Connection: close) are never served: they
            // may be bytes a lenient parser upstream would have read differently.
            ReferenceCountUtil.release(msg);
            return;
        }
        HttpRequest head = heldHead;
        if (head != null) {
            heldHead = null;
            if (msg == LastHttpContent.EMPTY_LAST_CONTENT) {
                begin(new DefaultFullHttpRequest(head.protocolVersion(), head.method(), head.uri(),
                        Unpooled.EMPTY_BUFFER, head.headers(), EmptyHttpHeaders.INSTANCE));
                return;
            }
            begin(head);
        }
        HttpExchange ex = exchange;
        if (ex != null) {
            if (!ex.requestDone() && msg instanceof HttpContent content) {
                ex.onRequestContent(content);
            } else if (!h2) {
                // The next pipelined request, decoded from bytes already read: it waits its turn.
                if (pipelined == null) {
                    pipelined = new ArrayDeque<>(2);
                }
                pipelined.add(msg);
                if (pipelined.size() > MAX_PIPELINED_PARTS) {
                    ctx.channel().config().setAutoRead(false);
                }
            } else {
                ReferenceCountUtil.release(msg);
            }
            return;
        }
        if (msg instanceof HttpRequest req) {
            if (headTimeout != null) {
                headTimeout.headReceived();
            }
            if (h2 && drainsHere()) {
                // A connection opened during the drain: this stream is served, then GOAWAY tells the caller to go
                // elsewhere (the codec's graceful close lets the streams it already has finish).
                ctx.channel().parent().pipeline().fireUserEventTriggered(DRAIN);
            }
            if (!h2 && !(req instanceof HttpContent) && req.decoderResult().isSuccess()) {
                heldHead = req;
                return;
            }
            begin(req);
        } else {
            // Body of a request already answered and finished (e.g. rejected), or a stray part.
            ReferenceCountUtil.release(msg);
        }
    }

    private void begin(HttpRequest req) {
        exchange = new HttpExchange(this, ctx, pc);
        exchange.begin(req);
    }

    /** A held head begins its exchange as it is: nothing more of this request is coming in this read. */
    private void beginHeld() {
        HttpRequest head = heldHead;
        if (head != null) {
            heldHead = null;
            begin(head);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        beginHeld();
        HttpExchange ex = exchange;
        if (ex != null) {
            ex.onDownstreamReadComplete();
        }
        ctx.fireChannelReadComplete();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        HttpExchange ex = exchange;
        if (ex != null) {
            ex.onDownstreamWritabilityChanged(ctx.channel().isWritable());
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        beginHeld();
        HttpExchange ex = exchange;
        exchange = null;
        if (ex != null) {
            ex.onDownstreamClosed();
        }
        deadlines.close();
        releasePipelined();
        ctx.fireChannelInactive();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt == DRAIN) {
            closeAfterResponse = true;
            if (exchange == null) {
                ctx.close();
            }
            return;
        }
        if (evt instanceof IdleStateEvent) {
            if (exchange == null) {
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

    /** The current exchange ended; on HTTP/1.1 either close or go on with the next request. */
    void exchangeFinished(HttpExchange ex) {
        if (exchange == ex) {
            exchange = null;
        }
        if (h2) {
            return;
        }
        if (closeAfterResponse || drainsHere()) {
            closing = true;
            releasePipelined();
            ctx.writeAndFlush(io.netty.buffer.Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
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
            while ((exchange == null || !exchange.requestDone()) && (next = pipelined.poll()) != null) {
                channelRead(ctx, next);
            }
            // No read-complete follows bytes that were read before: a head the queue ended with begins now, and
            // what went upstream is flushed as a read's end would.
            beginHeld();
            HttpExchange replayed = exchange;
            if (replayed != null) {
                replayed.onDownstreamReadComplete();
            }
        }
    }

    /** Cuts the downstream after a partial response: HTTP/1.1 closes, HTTP/2 resets the stream. */
    void abortDownstream() {
        ctx.close();
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
