package io.remora.proxy.tls;

import io.remora.proxy.net.Handlers;
import io.netty.channel.Channel;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import io.remora.certs.SpiffeId;
import io.remora.certs.SvidException;
import io.remora.log.Log;

import java.net.InetSocketAddress;

/**
 * Originates mTLS on an upstream connection: the SslHandler goes first in the pipeline, and the connection is handed
 * out only once the handshake succeeded and the peer proved to be the endpoint's expected identity (SPIFFE ID
 * equality, not host-name verification). A wrong peer is closed before a byte of the request is written.
 */
public final class UpstreamTls {
    private final IdentitySource source;
    private final TlsMeters meters;

    public UpstreamTls(IdentitySource source, TlsMeters meters) {
        this.source = source;
        this.meters = meters;
    }

    /** Adds the TLS handler for an upstream speaking {@code alpn} ({@code h2}, {@code http/1.1}, null for TCP). */
    public void install(ChannelPipeline p, InetSocketAddress address, String alpn) {
        p.addFirst(Handlers.TLS, source.current().client(alpn).newHandler(p.channel().alloc(),
                address.getHostString(), address.getPort()));
    }

    /**
     * Completes with the channel once its handshake succeeded and the peer is {@code expected}; fails (and closes
     * the channel) otherwise, with an {@link SvidException} or the TLS error as the cause.
     */
    public Future<Channel> verified(Channel ch, SpiffeId expected) {
        Promise<Channel> promise = ch.eventLoop().newPromise();
        SslHandler ssl = ch.pipeline().get(SslHandler.class);
        ssl.handshakeFuture().addListener(done -> {
            if (!done.isSuccess()) {
                refuse(ch, expected, MeshTls.failureReason(done.cause()), MeshTls.seenIdentity(done.cause()), null,
                        done.cause());
                promise.tryFailure(done.cause());
                return;
            }
            try {
                SpiffeId peer = MeshTls.peerIdentity(ssl);
                if (!peer.equals(expected)) {
                    throw new SvidException(SvidException.Reason.WRONG_IDENTITY,
                            "the upstream is " + peer + ", expected " + expected);
                }
                meters.handshake();
                promise.trySuccess(ch);
            } catch (SvidException e) {
                refuse(ch, expected, e.reason().label(), peerOrNull(ssl), e.getMessage(), e);
                promise.tryFailure(e);
            }
        });
        return promise;
    }

    private static String peerOrNull(SslHandler ssl) {
        try {
            return MeshTls.peerIdentity(ssl).toString();
        } catch (SvidException e) {
            return null;
        }
    }

    private void refuse(Channel ch, SpiffeId expected, String reason, String seen, String message, Throwable cause) {
        meters.failure("outbound", reason);
        Log.warn("mtls_handshake_refused", "direction", "outbound", "peer", String.valueOf(ch.remoteAddress()),
                "seen", seen == null ? "none" : seen, "expected", expected.toString(), "reason", reason,
                "error", message != null ? message : String.valueOf(cause.getMessage()));
        ch.close();
    }
}
