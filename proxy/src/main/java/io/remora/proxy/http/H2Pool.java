package io.remora.proxy.http;

import io.remora.proxy.net.Handlers;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.remora.certs.SpiffeId;
import io.remora.proxy.tls.UpstreamTls;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.netty.util.concurrent.Future;
import io.remora.proxy.policy.ConcurrencyLimits;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayDeque;

/**
 * HTTP/2 (prior knowledge) to one endpoint, owned by one event loop: every request is a new stream on a
 * shared connection. A connection that received GOAWAY takes no new streams; the next request opens a
 * fresh one while the old one finishes its streams.
 */
final class H2Pool {
    private final EndpointConnector connector;
    private Channel connection;
    private boolean connecting;
    private final ArrayDeque<Waiter> waiting = new ArrayDeque<>();

    H2Pool(UpstreamPools.LoopPools loop, InetSocketAddress address, InetSocketAddress source, UpstreamTls tls,
           SpiffeId identity) {
        this.connector = new EndpointConnector(loop, address, source, tls, identity, ApplicationProtocolNames.HTTP_2,
                p -> {
                    p.addLast(Handlers.H2, Http2FrameCodecBuilder.forClient()
                            .initialSettings(Http2Settings.defaultSettings().pushEnabled(false)
                                    .initialWindowSize(1024 * 1024))
                            .validateHeaders(true)
                            .build());
                    p.addLast(Handlers.MUX, new Http2MultiplexHandler(new RefusePush()));
                    p.addLast(Handlers.H2_CONNECTION, new H2ConnectionHandler());
                });
    }

    /**
     * Opens a stream for {@code requester} on the shared connection, or waits for the one being opened. A new
     * connection, and each request waiting for it, count against the service's limits; overflow is reported at once.
     */
    void acquire(UpstreamRequester requester, Duration connectTimeout, Duration idleTimeout,
                 ConcurrencyLimits limits) {
        Channel c = connection;
        if (c != null && c.isActive() && !goingAway(c)) {
            openStream(c, requester);
            return;
        }
        if (!limits.tryAcquirePending()) {
            requester.upstreamOverflow(ConcurrencyLimits.Limit.PENDING);
            return;
        }
        waiting.add(new Waiter(requester, limits));
        if (connecting) {
            return;
        }
        if (!limits.tryAcquireConnection()) {
            failAll(null, ConcurrencyLimits.Limit.CONNECTIONS);
            return;
        }
        connecting = true;
        connection = null;
        connector.connect(connectTimeout, idleTimeout, limits, this::connected);
    }

    private void connected(Future<?> done) {
        connecting = false;
        if (!done.isSuccess()) {
            failAll(done.cause(), null);
            return;
        }
        Channel ch = EndpointConnector.channel(done);
        connection = ch;
        connector.track(ch);
        ch.closeFuture().addListener(x -> {
            if (connection == ch) {
                connection = null;
            }
        });
        Waiter w;
        while ((w = waiting.poll()) != null) {
            w.limits.releasePending();
            openStream(ch, w.requester);
        }
    }

    /** Fails every waiting requester with {@code cause}, or with an overflow of {@code limit}. */
    private void failAll(Throwable cause, ConcurrencyLimits.Limit limit) {
        Waiter w;
        while ((w = waiting.poll()) != null) {
            w.limits.releasePending();
            if (limit != null) {
                w.requester.upstreamOverflow(limit);
            } else {
                w.requester.upstreamFailed(cause);
            }
        }
    }

    private record Waiter(UpstreamRequester requester, ConcurrencyLimits limits) {
    }

    private static boolean goingAway(Channel c) {
        Http2FrameCodec codec = c.pipeline().get(Http2FrameCodec.class);
        return codec == null || codec.connection().goAwayReceived() || codec.connection().goAwaySent();
    }

    private void openStream(Channel c, UpstreamRequester requester) {
        if (!requester.stillWaiting()) {
            return;
        }
        new Http2StreamChannelBootstrap(c)
                .handler(new ChannelInitializer<Http2StreamChannel>() {
                    @Override
                    protected void initChannel(Http2StreamChannel ch) {
                        ch.pipeline().addLast(Handlers.CODEC, new Http2StreamFrameToHttpObjectCodec(false, true));
                        ch.pipeline().addLast(Handlers.UPSTREAM, new UpstreamHandler(null));
                    }
                })
                .open()
                .addListener(opened -> {
                    if (!opened.isSuccess()) {
                        requester.upstreamFailed(opened.cause());
                        return;
                    }
                    Http2StreamChannel stream = (Http2StreamChannel) opened.getNow();
                    if (!requester.stillWaiting()) {
                        stream.close();
                    } else {
                        requester.upstreamReady(stream, true);
                    }
                });
    }

    void close() {
        if (connection != null) {
            connection.close();
        }
    }

    /** The upstream may not push; streams it opens are closed (reset) at once. */
    private static final class RefusePush extends ChannelInboundHandlerAdapter {
        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            ctx.close();
        }

        @Override
        public boolean isSharable() {
            return true;
        }
    }
}
