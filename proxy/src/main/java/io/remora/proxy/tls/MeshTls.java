package io.remora.proxy.tls;

import io.remora.certs.SvidTrustManager;

import io.netty.handler.codec.http2.Http2SecurityUtil;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.SupportedCipherSuiteFilter;
import io.remora.certs.SpiffeId;
import io.remora.certs.Svid;
import io.remora.certs.SvidException;
import io.remora.certs.TrustBundle;
import io.remora.certs.X509Svids;

import javax.net.ssl.SSLException;
import javax.net.ssl.SSLPeerUnverifiedException;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Clock;

/**
 * One generation of the workload's mTLS material: its SVID, the trust bundle, and the TLS contexts built from them
 * (server for the inbound listener; client per upstream protocol, each offering only its ALPN protocol). Immutable:
 * a rotation builds a new one and new connections use it, while existing ones keep the one they started with.
 * BoringSSL through netty-tcnative where it loads, the JDK otherwise; TLS 1.3 preferred, 1.2 the minimum.
 */
public final class MeshTls {
    private final Svid svid;
    private final TrustBundle bundle;
    private final SslContext server;
    private final SslContext clientH1;
    private final SslContext clientH2;
    private final SslContext clientTcp;

    private MeshTls(Svid svid, TrustBundle bundle, SslContext server, SslContext clientH1, SslContext clientH2,
                    SslContext clientTcp) {
        this.svid = svid;
        this.bundle = bundle;
        this.server = server;
        this.clientH1 = clientH1;
        this.clientH2 = clientH2;
        this.clientTcp = clientTcp;
    }

    public static SslProvider provider() {
        return OpenSsl.isAvailable() ? SslProvider.OPENSSL : SslProvider.JDK;
    }

    public static MeshTls build(Svid svid, TrustBundle bundle, Clock clock) throws SSLException {
        return build(svid, bundle, clock, provider());
    }

    /** With a given provider: the OpenSSL and JDK providers take the same code path. */
    public static MeshTls build(Svid svid, TrustBundle bundle, Clock clock, SslProvider provider) throws SSLException {
        SvidTrustManager trust = new SvidTrustManager(bundle, clock);
        X509Certificate[] chain = svid.chain().toArray(X509Certificate[]::new);
        SslContext server = common(SslContextBuilder.forServer(svid.key(), chain), provider,
                ApplicationProtocolNames.HTTP_2, ApplicationProtocolNames.HTTP_1_1)
                .trustManager(trust)
                // Optional at the TLS level so a missing client certificate is refused by us, with its reason.
                .clientAuth(ClientAuth.OPTIONAL)
                .build();
        return new MeshTls(svid, bundle, server,
                client(svid, chain, trust, ApplicationProtocolNames.HTTP_1_1, provider),
                client(svid, chain, trust, ApplicationProtocolNames.HTTP_2, provider),
                client(svid, chain, trust, null, provider));
    }

    private static SslContext client(Svid svid, X509Certificate[] chain, SvidTrustManager trust, String protocol,
                                     SslProvider provider) throws SSLException {
        return common(SslContextBuilder.forClient(), provider, protocol == null ? new String[0] : new String[] {protocol})
                .keyManager(svid.key(), chain)
                .trustManager(trust)
                // SPIFFE authentication replaces host names: the peer's ID is checked after the handshake.
                .endpointIdentificationAlgorithm(null)
                .build();
    }

    /**
     * What every TLS context of the proxy shares (the inbound listener's server-only TLS too): the provider,
     * TLS 1.3 preferred and 1.2 the minimum, HTTP/2-safe ciphers, and ALPN offering {@code alpn} (none if empty).
     */
    public static SslContextBuilder common(SslContextBuilder b, SslProvider provider, String... alpn) {
        b.sslProvider(provider)
                .protocols("TLSv1.3", "TLSv1.2")
                .ciphers(Http2SecurityUtil.CIPHERS, SupportedCipherSuiteFilter.INSTANCE);
        if (alpn.length > 0) {
            b.applicationProtocolConfig(new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
                    // The only combination both the OpenSSL and the JDK providers support.
                    ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                    ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT, alpn));
        }
        return b;
    }

    public Svid svid() {
        return svid;
    }

    public TrustBundle bundle() {
        return bundle;
    }

    public SslContext server() {
        return server;
    }

    /** The client context for an upstream speaking {@code h2}, {@code http/1.1}, or opaque TCP (null). */
    public SslContext client(String alpnProtocol) {
        if (alpnProtocol == null) {
            return clientTcp;
        }
        return ApplicationProtocolNames.HTTP_2.equals(alpnProtocol) ? clientH2 : clientH1;
    }

    /**
     * The verified peer's SPIFFE ID once a handshake succeeded (the chain was checked by the trust manager).
     *
     * @throws SvidException NO_CERTIFICATE when the peer sent none
     */
    public static SpiffeId peerIdentity(SslHandler ssl) throws SvidException {
        Certificate[] peer;
        try {
            peer = ssl.engine().getSession().getPeerCertificates();
        } catch (SSLPeerUnverifiedException e) {
            throw new SvidException(SvidException.Reason.NO_CERTIFICATE, "the peer sent no client certificate");
        }
        if (peer.length == 0 || !(peer[0] instanceof X509Certificate leaf)) {
            throw new SvidException(SvidException.Reason.NO_CERTIFICATE, "the peer sent no certificate");
        }
        return X509Svids.leafId(leaf);
    }

    /** The identity a refused peer claimed, when the trust manager saw its certificate; else null. */
    static String seenIdentity(Throwable cause) {
        for (Throwable t = cause; t != null; t = t.getCause()) {
            if (t instanceof SvidTrustManager.Refused r) {
                return r.seen;
            }
        }
        return null;
    }

    /** The reason a failed handshake was refused: the trust manager's, or a TLS-level one. */
    static String failureReason(Throwable cause) {
        for (Throwable t = cause; t != null; t = t.getCause()) {
            if (t instanceof SvidTrustManager.Refused r) {
                return r.reason.label();
            }
            if (t instanceof SvidException e) {
                return e.reason().label();
            }
        }
        String m = String.valueOf(cause == null ? null : cause.getMessage()).toLowerCase(java.util.Locale.ROOT);
        if (m.contains("not an ssl/tls record") || m.contains("wrong_version_number") || m.contains("http_request")) {
            return "not_tls";
        }
        if (m.contains("expired")) {
            return SvidException.Reason.EXPIRED.label();
        }
        if (m.contains("unknown_ca") || m.contains("unknown ca") || m.contains("certificate_unknown")
                || m.contains("bad_certificate") || m.contains("bad certificate")) {
            return SvidException.Reason.UNTRUSTED.label();
        }
        if (m.contains("closed") || m.contains("reset")) {
            return "closed";
        }
        return "handshake_error";
    }
}
