package io.remora.proxy.listener;

import io.remora.proxy.net.Handlers;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.remora.config.MtlsMode;
import io.remora.proxy.tls.InboundMtlsHandler;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.ApplicationProtocolNegotiationHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.timeout.IdleStateHandler;
import io.remora.config.Protocol;
import io.remora.config.Sidecar;
import io.remora.proxy.ProxyContext;
import io.remora.proxy.http.DownstreamHttpHandler;
import io.remora.proxy.http.H2ConnectionHandler;
import io.remora.proxy.http.H2HeadersTimeout;
import io.remora.proxy.http.RequestHeadTimeout;
import io.remora.log.Log;
import io.remora.proxy.net.OriginalDst;
import io.remora.proxy.route.ServiceRoutes;

import io.netty.util.AttributeKey;

import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * Sets up every accepted downstream connection of one listener. The order, and why:
 * <ol>
 *   <li>original destination (capture listener): read first, it decides everything else; a connection
 *       to one of our own listeners is a loop and is closed;</li>
 *   <li>opaque shortcut: services declared TCP and server-first ports go straight to the TCP relay,
 *       since waiting for client bytes would hang protocols where the server speaks first;</li>
 *   <li>protocol detection on the first bytes;</li>
 *   <li>TLS on a listener with a certificate: terminated, and ALPN chooses HTTP/2 or HTTP/1.1 (without
 *       a certificate, TLS is the app's own and is relayed untouched);</li>
 *   <li>the codec for what was detected (HTTP/1.1, HTTP/2 with one child channel per stream), then the
 *       one HTTP handler shared by both, or the TCP relay.</li>
 * </ol>
 */
public final class DownstreamInitializer extends ChannelInitializer<SocketChannel> {
    /** The listener a downstream connection arrived on (the drain treats inbound and outbound apart). */
    public static final AttributeKey<ListenerSpec> LISTENER = AttributeKey.valueOf("remora.listener");

    /** A client silent this long is taken as speaking a server-first protocol. */
    static final long DETECTION_TIMEOUT_MILLIS = 5_000;

    private final ProxyContext pc;
    private final ListenerSpec listener;
    private final TcpForwarder tcp;
    private final SslContext tls;

    public DownstreamInitializer(ProxyContext pc, ListenerSpec listener) {
        this.pc = pc;
        this.listener = listener;
        this.tcp = new TcpForwarder(pc, listener);
        this.tls = listener.tls() == null ? null : ServerTls.context(listener.tls());
    }

    @Override
    protected void initChannel(SocketChannel ch) {
        long accepted = System.nanoTime();
        ch.attr(LISTENER).set(listener);
        pc.downstreamConnections().add(ch);
        InetSocketAddress originalDst = null;
        if (listener.kind() == ListenerSpec.Kind.OUTBOUND_CAPTURE) {
            originalDst = OriginalDst.of(ch);
            if (originalDst == null || OriginalDst.isLoop(originalDst, ch, pc.ownPorts())) {
                Log.warn("capture_loop_refused", "listener", listener.name(), "remote", String.valueOf(ch.remoteAddress()),
                        "original_dst", String.valueOf(originalDst));
                ch.close();
                return;
            }
        } else if (listener.kind() == ListenerSpec.Kind.INBOUND && pc.inboundApps().byOriginalPort()) {
            // The port the caller dialled picks the app's port. One whose original destination is the inbound
            // listener itself (or another of ours) would come straight back here: a loop, refused.
            originalDst = OriginalDst.of(ch);
            if (originalDst != null && OriginalDst.isLoop(originalDst, ch, pc.ownPorts())) {
                pc.metrics().downstream().inboundLoopRefused();
                Log.warn("inbound_loop_refused", "listener", listener.name(), "remote",
                        String.valueOf(ch.remoteAddress()), "original_dst", String.valueOf(originalDst), "hint",
                        "connections to the sidecar's own ports must not be redirected to 15006; check the pod's"
                                + " inbound rules");
                ch.close();
                return;
            }
        }
        // With mTLS the inbound listener must see the first bytes: TLS from a sidecar, or plaintext.
        if (!inboundMtls() && opaqueWithoutWaiting(originalDst)) {
            tcp.forward(ch, originalDst);
            return;
        }
        InetSocketAddress dst = originalDst;
        ch.pipeline().addLast(Handlers.DETECT, new ProtocolDetector(DETECTION_TIMEOUT_MILLIS,
                (ctx, detected) -> install(ctx, detected, dst, accepted)));
    }

    private boolean opaqueWithoutWaiting(InetSocketAddress originalDst) {
        Sidecar.Spec spec = pc.spec();
        switch (listener.kind()) {
            case INBOUND -> {
                // Declared TCP; or a server-first port, unless a declared port says otherwise.
                Protocol declared = pc.inboundApps().protocol(originalDst);
                boolean serverFirst = spec.serverFirstPorts().contains(pc.inboundApps().port(originalDst));
                return declared == Protocol.TCP
                        || (serverFirst && (declared == null || !pc.inboundApps().byOriginalPort()));
            }
            case OUTBOUND_EXPLICIT -> {
                ServiceRoutes s = pc.routes().byKey(listener.serviceKey());
                return s != null && s.protocol() == Protocol.TCP;
            }
            default -> {
                if (originalDst == null) {
                    return false;
                }
                ServiceRoutes s = pc.routes().byAddress(originalDst);
                return (s != null && s.protocol() == Protocol.TCP)
                        || spec.serverFirstPorts().contains(originalDst.getPort());
            }
        }
    }

    /**
     * Whether the destination is declared to speak HTTP (inbound app, explicit service, or a captured
     * destination the mesh knows). Declared protocol wins over sniffing, as Istio's explicit protocol
     * selection does: bytes that are not HTTP get a 400 instead of being relayed blind.
     */
    private boolean declaredHttp(InetSocketAddress originalDst) {
        switch (listener.kind()) {
            case INBOUND -> {
                Protocol declared = pc.inboundApps().protocol(originalDst);
                return declared != null && declared != Protocol.TCP;
            }
            case OUTBOUND_EXPLICIT -> {
                ServiceRoutes s = pc.routes().byKey(listener.serviceKey());
                return s != null && s.protocol() != Protocol.TCP;
            }
            default -> {
                ServiceRoutes s = originalDst == null ? null : pc.routes().byAddress(originalDst);
                return s != null && s.protocol() != Protocol.TCP;
            }
        }
    }

    private boolean inboundMtls() {
        return listener.kind() == ListenerSpec.Kind.INBOUND && pc.identity() != null;
    }

    private void install(ChannelHandlerContext ctx, Detected sniffed, InetSocketAddress originalDst, long accepted) {
        Channel ch = ctx.channel();
        ChannelPipeline p = ch.pipeline();
        String remoteIp = ch.remoteAddress() instanceof InetSocketAddress r ? r.getAddress().getHostAddress() : null;
        if (inboundMtls()) {
            if (sniffed == Detected.TLS) {
                installMtls(p, originalDst, remoteIp, accepted);
                return;
            }
            if (pc.spec().mtls().mode() == MtlsMode.STRICT) {
                pc.tlsMeters().plaintextRefused();
                pc.handshakeRefusals().inbound(ch.remoteAddress(), "plaintext", null,
                        "plaintext connection to a STRICT mTLS listener");
                ch.close();
                return;
            }
            pc.tlsMeters().plaintextAccepted();
            if (opaqueWithoutWaiting(originalDst)) {
                tcp.forward(ch, originalDst);
                return;
            }
        }
        Detected detected = sniffed == Detected.OPAQUE && declaredHttp(originalDst) ? Detected.HTTP1 : sniffed;
        switch (detected) {
            case HTTP1 -> installHttp1(p, originalDst, remoteIp, accepted);
            case H2C -> installH2(p, originalDst, remoteIp, accepted);
            case TLS -> {
                if (tls == null) {
                    // No certificate here: the app's own TLS, relayed untouched.
                    tcp.forward(ch, originalDst);
                    return;
                }
                // Terminate TLS, then ALPN picks the codec; the handler leaves once it has chosen.
                p.addLast(Handlers.TLS, tls.newHandler(ch.alloc()));
                p.addLast(Handlers.ALPN, alpnCodec(originalDst, remoteIp, accepted));
            }
            case OPAQUE -> tcp.forward(ch, originalDst);
            default -> throw new IllegalStateException(detected.name());
        }
    }

    /**
     * Mutual TLS from another sidecar: the workload's current server context, the peer checked by
     * {@link InboundMtlsHandler}, then ALPN chooses the HTTP codec, or the decrypted bytes go to a TCP app.
     */
    private void installMtls(ChannelPipeline p, InetSocketAddress originalDst, String remoteIp, long accepted) {
        p.addLast(Handlers.TLS, pc.identity().current().server().newHandler(p.channel().alloc()));
        p.addLast(Handlers.MTLS, new InboundMtlsHandler(pc.tlsMeters(), pc.handshakeRefusals()));
        if (opaqueWithoutWaiting(originalDst)) {
            p.addLast(Handlers.RELAY_AFTER_HANDSHAKE, new ChannelInboundHandlerAdapter() {
                @Override
                public void userEventTriggered(ChannelHandlerContext c, Object evt) throws Exception {
                    if (evt instanceof SslHandshakeCompletionEvent done && done.isSuccess()) {
                        c.pipeline().remove(this);
                        tcp.forward(c.channel(), originalDst);
                        return;
                    }
                    super.userEventTriggered(c, evt);
                }
            });
            return;
        }
        p.addLast(Handlers.ALPN, alpnCodec(originalDst, remoteIp, accepted));
    }

    /** After a TLS handshake: the HTTP codec ALPN chose (HTTP/1.1 when the client offered nothing); then it leaves. */
    private ApplicationProtocolNegotiationHandler alpnCodec(InetSocketAddress originalDst, String remoteIp,
                                                            long accepted) {
        return new ApplicationProtocolNegotiationHandler(ApplicationProtocolNames.HTTP_1_1) {
            @Override
            protected void configurePipeline(ChannelHandlerContext c, String protocol) {
                if (ApplicationProtocolNames.HTTP_2.equals(protocol)) {
                    installH2(c.pipeline(), originalDst, remoteIp, accepted);
                } else {
                    installHttp1(c.pipeline(), originalDst, remoteIp, accepted);
                }
            }
        };
    }

    /** Reader-idle: the all-idle mode would put a listener and a promise on every write. */
    private static void addIdleTimeout(ChannelPipeline p, Sidecar.Limits limits) {
        long idleMillis = limits.idleTimeout().toMillis();
        if (idleMillis > 0) {
            p.addLast(Handlers.IDLE, new IdleStateHandler(idleMillis, 0, 0, TimeUnit.MILLISECONDS));
        }
    }

    private void installHttp1(ChannelPipeline p, InetSocketAddress originalDst, String remoteIp, long accepted) {
        Sidecar.Limits limits = pc.spec().limits();
        addIdleTimeout(p, limits);
        long headTimeout = limits.requestHeadersTimeout().toNanos();
        if (headTimeout > 0) {
            p.addLast(Handlers.HEAD_TIMEOUT, new RequestHeadTimeout(headTimeout, accepted, pc.metrics().downstream()));
        }
        p.addLast(Handlers.CODEC, new HttpServerCodec(new HttpDecoderConfig()
                .setMaxInitialLineLength(limits.maxRequestLineBytes())
                .setMaxHeaderSize(limits.maxHeaderBytes())
                .setMaxChunkSize(64 * 1024)
                .setValidateHeaders(true)
                .setStrictLineParsing(true)
                .setUseRfc9112TransferEncoding(true)));
        p.addLast(Handlers.HTTP, new DownstreamHttpHandler(pc, listener, originalDst, false, remoteIp));
    }

    private void installH2(ChannelPipeline p, InetSocketAddress originalDst, String remoteIp, long accepted) {
        Sidecar.Limits limits = pc.spec().limits();
        addIdleTimeout(p, limits);
        long headTimeout = limits.requestHeadersTimeout().toNanos();
        if (headTimeout > 0) {
            p.addLast(Handlers.HEAD_TIMEOUT, new H2HeadersTimeout(headTimeout, accepted, pc.metrics().downstream()));
        }
        p.addLast(Handlers.H2, Http2FrameCodecBuilder.forServer()
                .initialSettings(Http2Settings.defaultSettings()
                        .maxConcurrentStreams(limits.maxConcurrentStreams())
                        .maxHeaderListSize(limits.maxHeaderBytes())
                        .initialWindowSize(1024 * 1024))
                .gracefulShutdownTimeoutMillis(pc.spec().drainTime().toMillis())
                .validateHeaders(true)
                .build());
        p.addLast(Handlers.MUX, new Http2MultiplexHandler(new ChannelInitializer<Http2StreamChannel>() {
            @Override
            protected void initChannel(Http2StreamChannel stream) {
                stream.pipeline().addLast(Handlers.CODEC, new Http2StreamFrameToHttpObjectCodec(true, true));
                stream.pipeline().addLast(Handlers.HTTP,
                        new DownstreamHttpHandler(pc, listener, originalDst, true, remoteIp));
            }
        }));
        p.addLast(Handlers.H2_CONNECTION, new H2ConnectionHandler());
    }
}
