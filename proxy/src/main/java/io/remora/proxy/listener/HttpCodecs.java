package io.remora.proxy.listener;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.ApplicationProtocolNegotiationHandler;
import io.netty.handler.timeout.IdleStateHandler;
import io.remora.config.Sidecar;
import io.remora.proxy.ProxyContext;
import io.remora.proxy.http.DownstreamHttpHandler;
import io.remora.proxy.http.H2DownstreamHandler;
import io.remora.proxy.http.H2HeadersTimeout;
import io.remora.proxy.http.RequestHeadTimeout;
import io.remora.proxy.metrics.DownstreamMeters;
import io.remora.proxy.net.Handlers;

import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * The last step of {@link DownstreamInitializer}'s order for HTTP: the server codec for HTTP/1.1 and its handler, or
 * the HTTP/2 connection handler (frames read into each stream's exchanges, no child channel per stream), with the
 * Sidecar's limits and the head timeout. Both hand the same request model to the same exchanges. The connection is
 * read ({@link ConnectionInfo}) here, when any TLS handshake has settled, once for all its streams.
 */
final class HttpCodecs {
    private final ProxyContext pc;
    private final ListenerSpec listener;

    HttpCodecs(ProxyContext pc, ListenerSpec listener) {
        this.pc = pc;
        this.listener = listener;
    }

    /** After a TLS handshake: the HTTP codec ALPN chose (HTTP/1.1 when the client offered nothing); then it leaves. */
    ApplicationProtocolNegotiationHandler byAlpn(InetSocketAddress originalDst, long acceptedNanos) {
        return new ApplicationProtocolNegotiationHandler(ApplicationProtocolNames.HTTP_1_1) {
            @Override
            protected void configurePipeline(ChannelHandlerContext c, String protocol) {
                if (ApplicationProtocolNames.HTTP_2.equals(protocol)) {
                    http2(c.pipeline(), originalDst, acceptedNanos);
                } else {
                    http1(c.pipeline(), originalDst, acceptedNanos);
                }
            }
        };
    }

    void http1(ChannelPipeline p, InetSocketAddress originalDst, long acceptedNanos) {
        Sidecar.Limits limits = addTimeouts(p, acceptedNanos, RequestHeadTimeout::new);
        p.addLast(Handlers.CODEC, new HttpServerCodec(new HttpDecoderConfig()
                .setMaxInitialLineLength(limits.maxRequestLineBytes())
                .setMaxHeaderSize(limits.maxHeaderBytes())
                .setMaxChunkSize(64 * 1024)
                .setValidateHeaders(true)
                .setStrictLineParsing(true)
                .setUseRfc9112TransferEncoding(true)));
        p.addLast(Handlers.HTTP, new DownstreamHttpHandler(pc, listener, ConnectionInfo.of(p.channel(), originalDst)));
    }

    void http2(ChannelPipeline p, InetSocketAddress originalDst, long acceptedNanos) {
        Sidecar.Limits limits = addTimeouts(p, acceptedNanos, H2HeadersTimeout::new);
        p.addLast(Handlers.H2, H2DownstreamHandler.create(pc, listener, ConnectionInfo.of(p.channel(), originalDst),
                Http2Settings.defaultSettings()
                        .maxConcurrentStreams(limits.maxConcurrentStreams())
                        .maxHeaderListSize(limits.maxHeaderBytes())
                        .initialWindowSize(1024 * 1024),
                pc.spec().drainTime().toMillis()));
    }

    /** The clock on request heads of one HTTP version. */
    private interface HeadTimeout {
        ChannelHandler create(long timeoutNanos, long acceptedNanos, DownstreamMeters meters);
    }

    /**
     * The idle timeout, reader-idle (the all-idle mode would put a listener and a promise on every write), and the
     * request-head timeout, which the idle one cannot be: every trickled byte resets it.
     */
    private Sidecar.Limits addTimeouts(ChannelPipeline p, long acceptedNanos, HeadTimeout headTimeout) {
        Sidecar.Limits limits = pc.spec().limits();
        long idleMillis = limits.idleTimeout().toMillis();
        if (idleMillis > 0) {
            p.addLast(Handlers.IDLE, new IdleStateHandler(idleMillis, 0, 0, TimeUnit.MILLISECONDS));
        }
        long headNanos = limits.requestHeadersTimeout().toNanos();
        if (headNanos > 0) {
            p.addLast(Handlers.HEAD_TIMEOUT, headTimeout.create(headNanos, acceptedNanos, pc.metrics().downstream()));
        }
        return limits;
    }
}
