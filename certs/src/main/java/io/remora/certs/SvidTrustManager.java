package io.remora.certs;

import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;
import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.List;

/**
 * Trusts a peer when its chain is an X.509-SVID of the trust domain leading to a root of the bundle (SPIFFE
 * authentication, not host names). The refusal carries its {@link SvidException.Reason} so the handshake's failure
 * can be counted by reason. Whether the peer is the identity a connection expected is checked after the
 * handshake, since one context serves every peer.
 */
public final class SvidTrustManager extends X509ExtendedTrustManager {
    /** A refusal with its reason, as the TLS stack wants it (a CertificateException). */
    public static final class Refused extends CertificateException {
        public final SvidException.Reason reason;
        /** The identity the peer's leaf claims (its URI SANs), or null when it claims none. */
        public final String seen;

        Refused(SvidException e, String seen) {
            super(e.getMessage(), e);
            this.reason = e.reason();
            this.seen = seen;
        }
    }

    private final TrustBundle bundle;
    private final Clock clock;

    public SvidTrustManager(TrustBundle bundle, Clock clock) {
        this.bundle = bundle;
        this.clock = clock;
    }

    private void verify(X509Certificate[] chain) throws CertificateException {
        try {
            bundle.verify(chain == null ? List.of() : List.of(chain), clock.instant());
        } catch (SvidException e) {
            String seen = chain == null || chain.length == 0 ? null
                    : String.join(",", X509Svids.uriSans(chain[0]));
            throw new Refused(e, seen == null || seen.isEmpty() ? null : seen);
        }
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
            throws CertificateException {
        verify(chain);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
            throws CertificateException {
        verify(chain);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
            throws CertificateException {
        verify(chain);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
            throws CertificateException {
        verify(chain);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        verify(chain);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        verify(chain);
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return bundle.roots().toArray(X509Certificate[]::new);
    }
}
