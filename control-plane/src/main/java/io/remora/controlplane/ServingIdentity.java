package io.remora.controlplane;

import io.remora.certs.CertificateAuthority;
import io.remora.certs.SpiffeId;
import io.remora.certs.Svid;
import io.remora.log.Log;
import io.remora.protocol.MeshProtocol;

import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;
import java.net.Socket;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The control plane's own X.509-SVID ({@code spiffe://<td>/ns/<namespace>/sa/remora-control-plane}), issued from its
 * CA and renewed at half its lifetime. Served through a key manager that always hands out the current one, so
 * renewal needs no restart of the listener.
 */
final class ServingIdentity extends X509ExtendedKeyManager {
    private static final String ALIAS = "remora-control-plane";
    private final CertificateAuthority ca;
    private final SpiffeId id;
    private final Duration ttl;
    private final Clock clock;
    private volatile Svid current;

    ServingIdentity(CertificateAuthority ca, String namespace, Duration ttl, Clock clock,
                    ScheduledExecutorService scheduler) {
        this.ca = ca;
        this.id = SpiffeId.workload(ca.trustDomain(), namespace, MeshProtocol.CONTROL_PLANE_SERVICE_ACCOUNT);
        this.ttl = ttl;
        this.clock = clock;
        this.current = ca.issue(id, ttl);
        long half = Math.max(1, ttl.toSeconds() / 2);
        scheduler.scheduleAtFixedRate(this::renew, half, half, TimeUnit.SECONDS);
    }

    SpiffeId id() {
        return id;
    }

    private void renew() {
        try {
            current = ca.issue(id, ttl);
            Log.info("control_plane_certificate_renewed", "spiffe_id", id.toString(),
                    "not_after", current.notAfter().toString());
        } catch (RuntimeException e) {
            Log.error("control_plane_certificate_renewal_failed", e, "spiffe_id", id.toString(),
                    "current_not_after", current.notAfter().toString(), "now", clock.instant().toString());
        }
    }

    @Override
    public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
        return ALIAS;
    }

    @Override
    public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
        return ALIAS;
    }

    @Override
    public String[] getServerAliases(String keyType, Principal[] issuers) {
        return new String[] {ALIAS};
    }

    @Override
    public X509Certificate[] getCertificateChain(String alias) {
        return current.chain().toArray(X509Certificate[]::new);
    }

    @Override
    public PrivateKey getPrivateKey(String alias) {
        return current.key();
    }

    @Override
    public String[] getClientAliases(String keyType, Principal[] issuers) {
        return new String[0];
    }

    @Override
    public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
        return null;
    }
}
