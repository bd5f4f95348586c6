package io.remora.proxy.listener;

import io.netty.channel.Channel;
import io.netty.handler.ssl.SslHandler;
import io.remora.certs.SpiffeId;
import io.remora.proxy.tls.PeerIdentity;

import java.net.InetSocketAddress;
import java.net.SocketAddress;

/**
 * What one downstream connection is, as far as routing and logs care: where the caller meant to go, who it is (its
 * address, and its verified SPIFFE ID over mutual TLS), and the protocol TLS settled on. Read from the channel once
 * per connection (the texts the logs and policies use worked out once too), and shared by every HTTP/2 stream of it,
 * instead of each stream looking them up again.
 */
public final class ConnectionInfo {
    private final InetSocketAddress originalDst;
    private final SocketAddress peer;
    private final String peerIp;
    private final SpiffeId peerIdentity;
    private final String peerPrincipal;
    private final String peerNamespace;
    private final String alpn;
    private final String sni;

    /**
     * @param originalDst  the original destination (capture, inbound by original port), else null
     * @param peer         the caller's address
     * @param peerIdentity the caller's verified SPIFFE ID (inbound mutual TLS), else null
     * @param alpn         the protocol ALPN chose on a terminated TLS connection, else null
     */
    public ConnectionInfo(InetSocketAddress originalDst, SocketAddress peer, SpiffeId peerIdentity, String alpn) {
        this(originalDst, peer, peerIdentity, alpn, null);
    }

    /** @param sni the server name the caller asked for in its TLS handshake, else null */
    public ConnectionInfo(InetSocketAddress originalDst, SocketAddress peer, SpiffeId peerIdentity, String alpn,
                          String sni) {
        this.sni = sni;
        this.originalDst = originalDst;
        this.peer = peer;
        this.peerIp = peer instanceof InetSocketAddress a && a.getAddress() != null
                ? a.getAddress().getHostAddress() : null;
        this.peerIdentity = peerIdentity;
        this.peerPrincipal = peerIdentity == null ? null : peerIdentity.toString();
        this.peerNamespace = peerIdentity == null ? null : peerIdentity.namespace();
        this.alpn = alpn;
    }

    /**
     * What {@code ch} (a connection, not an HTTP/2 stream) tells now: read it once any TLS handshake has finished,
     * since the peer's identity and ALPN are known only then.
     */
    public static ConnectionInfo of(Channel ch, InetSocketAddress originalDst) {
        SslHandler ssl = ch.pipeline().get(SslHandler.class);
        return new ConnectionInfo(originalDst, ch.remoteAddress(), PeerIdentity.of(ch),
                ssl == null ? null : ssl.applicationProtocol(), ssl == null ? null : serverName(ssl));
    }

    /** The SNI host name of a terminated TLS connection's handshake; null when it sent none or it is not known. */
    private static String serverName(SslHandler ssl) {
        try {
            if (ssl.engine().getSession() instanceof javax.net.ssl.ExtendedSSLSession s) {
                for (javax.net.ssl.SNIServerName name : s.getRequestedServerNames()) {
                    if (name instanceof javax.net.ssl.SNIHostName host) {
                        return host.getAsciiName();
                    }
                }
            }
        } catch (UnsupportedOperationException e) {
            // An engine that does not keep the requested names: the log says nothing of them.
        }
        return null;
    }

    /** The caller's port; -1 when its address is not an IP socket address. */
    public int peerPort() {
        return peer instanceof InetSocketAddress a ? a.getPort() : -1;
    }

    public String sni() {
        return sni;
    }

    public InetSocketAddress originalDst() {
        return originalDst;
    }

    public SocketAddress peer() {
        return peer;
    }

    /** The caller's IP as text ({@code x-forwarded-for}, access log), or null. */
    public String peerIp() {
        return peerIp;
    }

    public SpiffeId peerIdentity() {
        return peerIdentity;
    }

    /** The caller's verified SPIFFE ID as text, or null. */
    public String peerPrincipal() {
        return peerPrincipal;
    }

    /** The namespace in the caller's SPIFFE ID, or null. */
    public String peerNamespace() {
        return peerNamespace;
    }

    public String alpn() {
        return alpn;
    }

    @Override
    public String toString() {
        return "ConnectionInfo[peer=" + peer + ", originalDst=" + originalDst + ", peer_principal=" + peerPrincipal
                + ", alpn=" + alpn + "]";
    }
}
