package io.remora.proxy.listener;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.util.AttributeKey;
import io.remora.config.MtlsMode;
import io.remora.log.Log;
import io.remora.proxy.ProxyContext;
import io.remora.proxy.net.Handlers;
import io.remora.proxy.net.OriginalDst;
import io.remora.proxy.route.Destination;
import io.remora.proxy.tls.InboundMtlsHandler;

import java.net.InetSocketAddress;

/**
 * Sets up every accepted downstream connection of one listener. The order, and why:
 * <ol>
 *   <li>original destination (capture listener, inbound by original port): read first, it decides everything else;
 *       a connection to one of our own listeners is a loop and is closed;</li>
 *   <li>the connection's {@link Destination} ({@link Destinations}), resolved once here: where it goes and whether
 *       its bytes are TCP, HTTP or to be sniffed ({@link Framing});</li>
 *   <li>opaque shortcut: destinations declared TCP and server-first ports go straight to the TCP relay, since
 *       waiting for client bytes would hang protocols where the server speaks first;</li>
 *   <li>protocol detection on the first bytes (a destination declared HTTP takes what is not HTTP as HTTP/1.1, so
 *       it gets a 400 instead of a blind relay);</li>
 *   <li>TLS on a listener with a certificate: terminated, and ALPN chooses HTTP/2 or HTTP/1.1 (without
 *       a certificate, TLS is the app's own and is relayed untouched); inbound mutual TLS first of all;</li>
 *   <li>the codec for what was detected ({@link HttpCodecs}: HTTP/1.1, HTTP/2 with one child channel per stream),
 *       then the one HTTP handler shared by both, or the TCP relay ({@link TcpForwarder}) to the same
 *       destination.</li>
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
    private final HttpCodecs http;
    private final SslContext tls;

    public DownstreamInitializer(ProxyContext pc, ListenerSpec listener) {
        this.pc = pc;
        this.listener = listener;
        this.tcp = new TcpForwarder(pc, listener);
        this.http = new HttpCodecs(pc, listener);
        this.tls = listener instanceof ListenerSpec.Inbound in && in.tls() != null ? ServerTls.context(in.tls())
                : null;
    }

    /** One accepted connection as the steps after the first see it: resolved once, at accept. */
    private record Accepted(InetSocketAddress originalDst, Destination destination, Framing framing,
                            long acceptedNanos) {
    }

    @Override
    protected void initChannel(SocketChannel ch) {
        long acceptedNanos = System.nanoTime();
        ch.attr(LISTENER).set(listener);
        pc.downstreamConnections().add(ch);
        InetSocketAddress originalDst = null;
        if (listener instanceof ListenerSpec.Capture) {
            originalDst = OriginalDst.of(ch);
            if (originalDst == null || OriginalDst.isLoop(originalDst, ch, pc.ownPorts())) {
                Log.warn("capture_loop_refused", "listener", listener.name(), "remote",
                        String.valueOf(ch.remoteAddress()), "original_dst", String.valueOf(originalDst));
                ch.close();
                return;
            }
        } else if (listener instanceof ListenerSpec.Inbound && pc.inboundApps().byOriginalPort()) {
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
        Destination destination = Destinations.resolve(pc, listener, originalDst, ch.remoteAddress(), null);
        Accepted accepted = new Accepted(originalDst, destination, Destinations.framing(pc, destination, originalDst),
                acceptedNanos);
        // With mTLS the inbound listener must see the first bytes: TLS from a sidecar, or plaintext.
        if (!inboundMtls() && accepted.framing() == Framing.TCP) {
            relay(ch, accepted);
            return;
        }
        ch.pipeline().addLast(Handlers.DETECT, new ProtocolDetector(DETECTION_TIMEOUT_MILLIS,
                (ctx, detected) -> install(ctx, detected, accepted)));
    }

    private boolean inboundMtls() {
        return listener instanceof ListenerSpec.Inbound && pc.identity() != null;
    }

    /** The TCP relay to the connection's destination; the connection read now, after any handshake. */
    private void relay(Channel ch, Accepted accepted) {
        tcp.forward(ch, ConnectionInfo.of(ch, accepted.originalDst()), accepted.destination());
    }

    private void install(ChannelHandlerContext ctx, Detected sniffed, Accepted accepted) {
        Channel ch = ctx.channel();
        ChannelPipeline p = ch.pipeline();
        if (inboundMtls()) {
            if (sniffed == Detected.TLS) {
                installMtls(p, accepted);
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
            if (accepted.framing() == Framing.TCP) {
                relay(ch, accepted);
                return;
            }
        }
        Detected detected = sniffed == Detected.OPAQUE && accepted.framing() == Framing.HTTP ? Detected.HTTP1 : sniffed;
        switch (detected) {
            case HTTP1 -> http.http1(p, accepted.originalDst(), accepted.acceptedNanos());
            case H2C -> http.http2(p, accepted.originalDst(), accepted.acceptedNanos());
            case TLS -> {
                if (tls == null) {
                    // No certificate here: the app's own TLS, relayed untouched.
                    relay(ch, accepted);
                    return;
                }
                // Terminate TLS, then ALPN picks the codec; the handler leaves once it has chosen.
                p.addLast(Handlers.TLS, tls.newHandler(ch.alloc()));
                p.addLast(Handlers.ALPN, http.byAlpn(accepted.originalDst(), accepted.acceptedNanos()));
            }
            case OPAQUE -> relay(ch, accepted);
            default -> throw new IllegalStateException(detected.name());
        }
    }

    /**
     * Mutual TLS from another sidecar: the workload's current server context, the peer checked by
     * {@link InboundMtlsHandler}, then ALPN chooses the HTTP codec, or the decrypted bytes go to a TCP app.
     */
    private void installMtls(ChannelPipeline p, Accepted accepted) {
        p.addLast(Handlers.TLS, pc.identity().current().server().newHandler(p.channel().alloc()));
        p.addLast(Handlers.MTLS, new InboundMtlsHandler(pc.tlsMeters(), pc.handshakeRefusals()));
        if (accepted.framing() == Framing.TCP) {
            p.addLast(Handlers.RELAY_AFTER_HANDSHAKE, new ChannelInboundHandlerAdapter() {
                @Override
                public void userEventTriggered(ChannelHandlerContext c, Object evt) throws Exception {
                    if (evt instanceof SslHandshakeCompletionEvent done && done.isSuccess()) {
                        c.pipeline().remove(this);
                        relay(c.channel(), accepted);
                        return;
                    }
                    super.userEventTriggered(c, evt);
                }
            });
            return;
        }
        p.addLast(Handlers.ALPN, http.byAlpn(accepted.originalDst(), accepted.acceptedNanos()));
    }
}
