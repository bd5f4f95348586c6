package io.remora.proxy.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http2.AbstractHttp2ConnectionHandlerBuilder;
import io.netty.handler.codec.http2.DefaultHttp2Connection;
import io.netty.handler.codec.http2.DefaultHttp2RemoteFlowController;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.codec.http2.Http2Connection;
import io.netty.handler.codec.http2.Http2ConnectionDecoder;
import io.netty.handler.codec.http2.Http2ConnectionEncoder;
import io.netty.handler.codec.http2.Http2ConnectionHandler;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2EventAdapter;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2GoAwayFrame;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2LocalFlowController;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2Stream;
import io.netty.handler.codec.http2.UniformStreamByteDistributor;
import io.netty.handler.timeout.IdleStateEvent;
import io.remora.proxy.ProxyContext;
import io.remora.proxy.listener.ConnectionInfo;
import io.remora.proxy.listener.ListenerSpec;

import java.util.ArrayList;

/**
 * A downstream HTTP/2 connection: Netty's connection handler (framing, HPACK, flow control, settings, ping, GOAWAY,
 * the limits: concurrent streams, header list size, the reset-flood and empty-frame guards of its builder) with the
 * frames read straight into each stream's {@link StreamExchanges} — no child channel, pipeline or frame object per
 * stream, which were a third of the event loop's time on h2c. Per-stream state is an {@link H2Stream} kept on Netty's
 * own stream (a connection property key), so nothing is looked up twice.
 *
 * <p>What it keeps of the child-channel design, on purpose: a stream's parts are handed over as they are decoded and
 * each stream read in a connection read hears the read's end once (the exchange flushes upstream then); writes made
 * during the connection's read are flushed once at its end; a stream is reset with CANCEL when the exchange cuts it
 * (after what it was given went out); an exception in one stream's exchange resets that stream only. Beyond it: the
 * other writes are flushed once per pass of the event loop, not once per response. Connection events: drain (and a
 * request arriving during it) closes gracefully — GOAWAY, the open streams finish within the drain time; an idle
 * connection without streams closes; a GOAWAY frame written by {@link H2HeadersTimeout} is sent with its code;
 * connection errors the codec raises are left to it, so its GOAWAY carries their code (ENHANCE_YOUR_CALM for a reset
 * flood).
 */
public final class H2DownstreamHandler extends Http2ConnectionHandler {
    private final ProxyContext pc;
    private final ListenerSpec listener;
    private final ConnectionInfo info;
    private final Http2Connection.PropertyKey streamKey;
    private final Integer initialWindowSize;
    /** Streams that got parts in the current read, each told once when it ends. */
    private final ArrayList<H2Stream> readThisRound = new ArrayList<>(8);
    private ChannelHandlerContext ctx;
    /** The deadlines of every stream's exchanges, on one timer (made with the first); closed with the connection. */
    private DeadlineTimer deadlines;
    private boolean inRead;
    private boolean flushScheduled;
    private final Runnable flushTask = () -> {
        flushScheduled = false;
        flush(ctx);
    };

    private H2DownstreamHandler(Http2ConnectionDecoder decoder, Http2ConnectionEncoder encoder,
                                Http2Settings initialSettings, ProxyContext pc, ListenerSpec listener,
                                ConnectionInfo info) {
        super(decoder, encoder, initialSettings);
        this.pc = pc;
        this.listener = listener;
        this.info = info;
        this.streamKey = connection().newKey();
        this.initialWindowSize = initialSettings.initialWindowSize();
        Frames frames = new Frames();
        decoder.frameListener(frames);
        connection().addListener(frames);
        connection().remote().flowController().listener(this::writabilityChanged);
    }

    /** The handler of one downstream connection, with the Sidecar's limits in {@code settings}. */
    public static H2DownstreamHandler create(ProxyContext pc, ListenerSpec listener, ConnectionInfo info,
                                             Http2Settings settings, long gracefulShutdownMillis) {
        return new Builder(pc, listener, info, settings, gracefulShutdownMillis).build();
    }

    /** Netty's builder, so the server's guards (reset flood, control frames, empty DATA frames) are its defaults. */
    private static final class Builder extends AbstractHttp2ConnectionHandlerBuilder<H2DownstreamHandler, Builder> {
        private final ProxyContext pc;
        private final ListenerSpec listener;
        private final ConnectionInfo info;

        Builder(ProxyContext pc, ListenerSpec listener, ConnectionInfo info, Http2Settings settings,
                long gracefulShutdownMillis) {
            this.pc = pc;
            this.listener = listener;
            this.info = info;
            // A server connection whose frames are shared out equally among the streams that have some to send, as
            // Netty's builder makes it but for the distributor: the weighted tree of RFC 7540 priorities, which
            // RFC 9113 deprecated and clients no longer send, walks a priority queue on every write (3 % of an h2c
            // request's CPU).
            DefaultHttp2Connection connection = new DefaultHttp2Connection(true);
            connection.remote().flowController(new DefaultHttp2RemoteFlowController(connection,
                    new UniformStreamByteDistributor(connection)));
            connection(connection);
            initialSettings(settings);
            gracefulShutdownTimeoutMillis(gracefulShutdownMillis);
            // Names and values (the builder's decoder validates both): H2RequestHead copies them unchecked.
            validateHeaders(true);
        }

        @Override
        protected H2DownstreamHandler build() {
            return super.build();
        }

        @Override
        protected H2DownstreamHandler build(Http2ConnectionDecoder decoder, Http2ConnectionEncoder encoder,
                                            Http2Settings initialSettings) {
            return new H2DownstreamHandler(decoder, encoder, initialSettings, pc, listener, info);
        }
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) throws Exception {
        this.ctx = ctx;
        super.handlerAdded(ctx);
        // As Http2FrameCodec does on a server: the settings' window is per stream; the connection's grows to twice
        // it, so one stream cannot use up what all share.
        if (initialWindowSize != null) {
            Http2Stream connectionStream = connection().connectionStream();
            Http2LocalFlowController flow = connection().local().flowController();
            int delta = initialWindowSize - flow.initialWindowSize(connectionStream);
            if (delta > 0) {
                flow.incrementWindowSize(connectionStream, Math.max(delta << 1, delta));
                flush(ctx);
            }
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        inRead = true;
        super.channelRead(ctx, msg);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) throws Exception {
        for (int i = 0; i < readThisRound.size(); i++) {
            readThisRound.get(i).readComplete();
        }
        readThisRound.clear();
        inRead = false;
        // Flushes what the streams wrote during the read, and window updates, once.
        super.channelReadComplete(ctx);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        try {
            // The codec closes the streams (each exchange ends with its stream), then no deadline is left to run.
            super.channelInactive(ctx);
        } finally {
            if (deadlines != null) {
                deadlines.close();
            }
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt == DownstreamHttpHandler.DRAIN) {
            closeGracefully();
            return;
        }
        if (evt instanceof IdleStateEvent) {
            if (connection().numActiveStreams() == 0) {
                closeGracefully();
            }
            return;
        }
        super.userEventTriggered(ctx, evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) throws Exception {
        if (Http2CodecUtil.getEmbeddedHttp2Exception(cause) != null) {
            // The codec's own: it answers with the error's code (GOAWAY or RST_STREAM).
            super.exceptionCaught(ctx, cause);
            return;
        }
        closeGracefully();
    }

    /** A GOAWAY frame from a handler before this one ({@link H2HeadersTimeout}): sent with its code and data. */
    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
        if (msg instanceof Http2GoAwayFrame goAway) {
            goAway(ctx, connection().remote().lastStreamCreated(), goAway.errorCode(), goAway.content(), promise);
            return;
        }
        super.write(ctx, msg, promise);
    }

    /** GOAWAY, then the open streams finish (up to the drain time) before the connection closes. */
    private void closeGracefully() {
        ctx.channel().close();
    }

    // ---- what the streams use --------------------------------------------------------------------------------

    StreamExchanges exchangesOf(H2Stream stream) {
        if (deadlines == null) {
            deadlines = new DeadlineTimer(ctx.executor(), pc.environment().ticker());
        }
        return new StreamExchanges(pc, listener, info, true, stream, deadlines);
    }

    void readThisRound(H2Stream stream) {
        if (!stream.inRead) {
            stream.inRead = true;
            readThisRound.add(stream);
        }
    }

    void write(int streamId, HttpObject msg) {
        try {
            H2Messages.write(encoder(), ctx, streamId, msg, ctx.voidPromise());
        } catch (IllegalArgumentException e) {
            reset(streamId, Http2Error.CANCEL);
        }
    }

    /**
     * At the end of the connection's current read, or else once the event loop has handled the I/O it is at: the
     * responses of many streams come from as many upstream connections, often in one pass of the loop, and one flush
     * (one write to the socket) for all of them is what a connection carrying many streams is for.
     */
    void flushSoon() {
        if (!inRead && !flushScheduled) {
            flushScheduled = true;
            ctx.channel().eventLoop().execute(flushTask);
        }
    }

    boolean isWritable(Http2Stream stream) {
        return encoder().flowController().isWritable(stream);
    }

    /** Bytes of a stream the exchange has taken: they go back to the caller's windows. */
    void consumed(Http2Stream stream, int bytes) {
        if (bytes > 0) {
            try {
                connection().local().flowController().consumeBytes(stream, bytes);
            } catch (Http2Exception e) {
                onError(ctx, true, e);
            }
        }
    }

    /** What the stream was given goes out first (queued DATA would otherwise follow the RST_STREAM), then the reset. */
    void reset(int streamId, Http2Error error) {
        flush(ctx);
        resetStream(ctx, streamId, error.code(), ctx.voidPromise());
        flushSoon();
    }

    ByteBufAllocator alloc() {
        return ctx.alloc();
    }

    EventLoop eventLoop() {
        return ctx.channel().eventLoop();
    }

    private void writabilityChanged(Http2Stream stream) {
        H2Stream s = stream.getProperty(streamKey);
        if (s != null) {
            s.writabilityChanged(isWritable(stream));
        }
    }

    /** The frames of the connection's streams, and their ends. SETTINGS and PING are acknowledged by the codec. */
    private final class Frames extends Http2EventAdapter {
        @Override
        public void onHeadersRead(ChannelHandlerContext ctx, int streamId, Http2Headers headers, int streamDependency,
                                  short weight, boolean exclusive, int padding, boolean endStream)
                throws Http2Exception {
            onHeadersRead(ctx, streamId, headers, padding, endStream);
        }

        @Override
        public void onHeadersRead(ChannelHandlerContext ctx, int streamId, Http2Headers headers, int padding,
                                  boolean endStream) throws Http2Exception {
            Http2Stream stream = connection().stream(streamId);
            H2Stream s = stream.getProperty(streamKey);
            if (s == null) {
                s = new H2Stream(H2DownstreamHandler.this, stream);
                stream.setProperty(streamKey, s);
                if (s.exchanges().drainsHere()) {
                    // A connection opened during the drain: this stream is served, then GOAWAY tells the caller to go
                    // elsewhere (the graceful close lets the streams it already has finish).
                    closeGracefully();
                }
            }
            s.received(H2Messages.headers(streamId, headers, endStream));
        }

        @Override
        public int onDataRead(ChannelHandlerContext ctx, int streamId, ByteBuf data, int padding,
                              boolean endOfStream) {
            H2Stream s = connection().stream(streamId).getProperty(streamKey);
            if (s == null) {
                return data.readableBytes() + padding;
            }
            return padding + s.received(H2Messages.data(data, endOfStream));
        }

        @Override
        public void onStreamClosed(Http2Stream stream) {
            H2Stream s = stream.getProperty(streamKey);
            if (s != null) {
                s.closed();
            }
        }
    }
}
