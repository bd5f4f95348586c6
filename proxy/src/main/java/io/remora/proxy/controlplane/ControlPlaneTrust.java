package io.remora.proxy.controlplane;

import io.remora.certs.SpiffeId;
import io.remora.certs.SvidException;
import io.remora.certs.SvidTrustManager;
import io.remora.certs.TrustBundle;
import io.remora.certs.X509Svids;
import io.remora.protocol.MeshProtocol;

import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;
import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Clock;

/**
 * Trusts the control plane and nothing else: its chain must be an X.509-SVID leading to a root of
 * {@code controlPlane.trustBundle} (SPIFFE authentication, no host names), and its SPIFFE ID must be
 * {@code controlPlane.identity}, or, when none is configured, an ID of that trust domain whose service account is
 * {@value MeshProtocol#CONTROL_PLANE_SERVICE_ACCOUNT}. Checked inside the handshake, so not a byte of the
 * workload's credential is sent to another peer.
 */
final class ControlPlaneTrust extends X509ExtendedTrustManager {
    private final SvidTrustManager chains;
    private final TrustBundle bundle;
    private final SpiffeId expected;

    /** @param expected the control plane's ID; null for any ID of the bundle's trust domain with its service account */
    ControlPlaneTrust(TrustBundle bundle, SpiffeId expected, Clock clock) {
        this.chains = new SvidTrustManager(bundle, clock);
        this.bundle = bundle;
        this.expected = expected;
    }

    /** What the control plane must present, as logs and errors say it. */
    String expectation() {
        return expected != null ? expected.toString()
                : "spiffe://" + bundle.trustDomain() + "/ns/<any>/sa/" + MeshProtocol.CONTROL_PLANE_SERVICE_ACCOUNT;
    }

    private void checkIdentity(X509Certificate[] chain) throws CertificateException {
        SpiffeId id;
        try {
            id = X509Svids.leafId(chain[0]);
        } catch (SvidException e) {
            throw new CertificateException("the control plane's certificate is not an SVID: " + e.getMessage(), e);
        }
        boolean ok = expected != null ? expected.equals(id)
                : id.trustDomain().equals(bundle.trustDomain())
                && MeshProtocol.CONTROL_PLANE_SERVICE_ACCOUNT.equals(id.serviceAccount());
        if (!ok) {
            throw new CertificateException("the server presented " + id + ", expected the control plane "
                    + expectation());
        }
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
            throws CertificateException {
        chains.checkServerTrusted(chain, authType, engine);
        checkIdentity(chain);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
            throws CertificateException {
        chains.checkServerTrusted(chain, authType, socket);
        checkIdentity(chain);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        chains.checkServerTrusted(chain, authType);
        checkIdentity(chain);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
            throws CertificateException {
        throw new CertificateException("the control-plane client accepts no clients");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
            throws CertificateException {
        throw new CertificateException("the control-plane client accepts no clients");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        throw new CertificateException("the control-plane client accepts no clients");
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return chains.getAcceptedIssuers();
    }
}
