package io.remora.proxy.tls;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.remora.certs.SpiffeId;
import io.remora.certs.SvidException;

/**
 * Sits right after the inbound {@link SslHandler}: when the handshake is over, a peer with a valid SVID is recorded
 * ({@link PeerIdentity}) and the event goes on to whatever chooses the protocol; any other outcome (no client
 * certificate, an untrusted, expired or foreign one, a broken handshake) closes the connection before a byte is
 * served, counted by reason and logged in one line (at most one a second: {@link HandshakeRefusals}).
 */
public final class InboundMtlsHandler extends ChannelInboundHandlerAdapter {
    private final TlsMeters meters;
    private final HandshakeRefusals refusals;

    public InboundMtlsHandler(TlsMeters meters, HandshakeRefusals refusals) {
        this.meters = meters;
        this.refusals = refusals;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (!(evt instanceof SslHandshakeCompletionEvent done)) {
            super.userEventTriggered(ctx, evt);
            return;
        }
        if (!done.isSuccess()) {
            // Stays in the pipeline: the handshake error also comes as an exception, which must end here rather
            // than at the pipeline's tail (where Netty logs it with its stack trace, once per refused peer).
            refuse(ctx, MeshTls.failureReason(done.cause()), MeshTls.seenIdentity(done.cause()),
                    String.valueOf(done.cause().getMessage()));
            return;
        }
        ctx.pipeline().remove(this);
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
        refusals.inbound(ctx.channel().remoteAddress(), reason, seen, message);
        ctx.close();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // Handshake errors arrive as the completion event too; anything else here ends the connection.
        ctx.close();
    }
}
