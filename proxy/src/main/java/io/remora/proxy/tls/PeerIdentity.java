package io.remora.proxy.tls;

import io.netty.channel.Channel;
import io.netty.util.AttributeKey;
import io.remora.certs.SpiffeId;

/** The verified SPIFFE ID of the peer of a connection, kept on the channel for routing, logs and metrics. */
public final class PeerIdentity {
    private static final AttributeKey<SpiffeId> KEY = AttributeKey.valueOf("remora.peer-identity");

    private PeerIdentity() {
    }

    static void set(Channel ch, SpiffeId id) {
        ch.attr(KEY).set(id);
    }

    /** The peer's ID for a connection (or for an HTTP/2 stream, its parent connection); null when not mTLS. */
    public static SpiffeId of(Channel ch) {
        Channel c = ch;
        while (c != null) {
            SpiffeId id = c.attr(KEY).get();
            if (id != null) {
                return id;
            }
            Channel parent = c.parent();
            c = parent instanceof io.netty.channel.ServerChannel ? null : parent;
        }
        return null;
    }
}
