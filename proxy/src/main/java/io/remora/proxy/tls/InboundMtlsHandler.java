package io.remora.proxy.tls;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.remora.certs.SpiffeId;
import io.remora.certs.SvidException;
import io.remora.log.Log;

/**
 * Sits right after the inbound {@link SslHandler}: when the handshake is over, a peer with a valid SVID is recorded
 * ({@link PeerIdentity}) and the event goes on to whatever chooses the protocol; any other outcome (no client
 * certificate, an untrusted, expired or foreign one, a broken handshake) closes the connection before a byte is
 * served, with one log line and one count by reason.
 */
public final class InboundMtlsHandler extends ChannelInboundHandlerAdapter {
    private final TlsMeters meters;

    public InboundMtlsHandler(TlsMeters meters) {
        this.meters = meters;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (!(evt instanceof SslHandshakeCompletionEvent done)) {
            super.userEventTriggered(ctx, evt);
            return;
        }
        ctx.pipeline().remove(this);
        if (!done.isSuccess()) {
            refuse(ctx, MeshTls.failureReason(done.cause()), MeshTls.seenIdentity(done.cause()),
                    String.valueOf(done.cause().getMessage()));
            return;
        }
        try {
            SpiffeId peer = MeshTls.peerIdentity(ctx.pipeline().get(SslHandler.class));
            PeerIdentity.set(ctx.channel(), peer);
            meters.handshake();
            ctx.fireUserEventTriggered(evt);
        } catch (SvidException e) {
            refuse(ctx, e.reason().label(), null, e.getMessage());
        }
    }

    private void refuse(ChannelHandlerContext ctx, String reason, String seen, String message) {
        meters.failure("inbound", reason);
        Log.warn("mtls_handshake_refused", "direction", "inbound", "peer", String.valueOf(ctx.channel().remoteAddress()),
                "reason", reason, "seen", seen == null ? "none" : seen, "expected", "an SVID of the trust bundle",
                "error", message);
        ctx.close();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // Handshake errors arrive as the completion event too; anything else here ends the connection.
        ctx.close();
    }
}
