package io.remora.proxy.tls;

import io.remora.proxy.Daemons;
import io.remora.certs.CertificateAuthority;
import io.remora.certs.CertificateException;
import io.remora.certs.Pem;
import io.remora.certs.SpiffeId;
import io.remora.certs.Svid;
import io.remora.certs.TrustBundle;
import io.remora.config.Sidecar;
import io.remora.log.Log;

import javax.net.ssl.SSLException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * The sidecar as its own certificate authority client, for running without a control plane: it issues its SVID
 * ({@code spiffe://<td>/ns/<namespace>/sa/<serviceAccount>}) from a local CA and renews it at half its lifetime
 * (jittered), on a thread of its own. New connections use the new SVID; established ones keep theirs. A failed
 * renewal is logged and retried soon, while the current SVID stays in use.
 */
public final class LocalCaIdentitySource implements IdentitySource {
    private final CertificateAuthority ca;
    private final TrustBundle bundle;
    private final SpiffeId id;
    private final Duration ttl;
    private final Clock clock;
    private final ScheduledExecutorService renewer;
    private volatile MeshTls current;

    public LocalCaIdentitySource(Sidecar.Mtls config, String namespace, String workload, Clock clock,
                                 TlsMeters meters) {
        Path caCert = Path.of(config.localCa().certificate());
        Path caKey = Path.of(config.localCa().privateKey());
        Path bundlePath = Path.of(config.trustBundle());
        this.clock = clock;
        this.ca = CertificateAuthority.load(caCert.toString(), Pem.readCertificates(caCert), Pem.readPrivateKey(caKey),
                clock);
        this.bundle = TrustBundle.of(bundlePath.toString(), Pem.readCertificates(bundlePath));
        if (!bundle.trustDomain().equals(ca.trustDomain())) {
            throw new CertificateException(caCert + ": the CA's trust domain " + ca.trustDomain()
                    + " is not the trust bundle's (" + bundlePath + ": " + bundle.trustDomain() + ")");
        }
        this.id = SpiffeId.workload(ca.trustDomain(), namespace,
                config.serviceAccount() != null ? config.serviceAccount() : workload);
        this.ttl = config.certificateTtl();
        this.current = issue();
        meters.expiries(this::current);
        this.renewer = Daemons.scheduler("remora-cert-renew");
        scheduleNext();
    }

    @Override
    public MeshTls current() {
        return current;
    }

    /** When the current SVID is due for renewal, from now. */
    public Duration nextRenewal() {
        Svid svid = current.svid();
        return Renewal.delay(clock.instant(), svid.notBefore(), svid.notAfter(), ThreadLocalRandom.current());
    }

    /** Issues a new SVID now and makes it current. */
    public void renew() {
        MeshTls next = issue();
        current = next;
        Log.info("mtls_renewed", "spiffe_id", id.toString(), "serial", next.svid().leaf().getSerialNumber().toString(16),
                "not_after", next.svid().notAfter().toString());
    }

    private void scheduleNext() {
        renewer.schedule(() -> {
            try {
                renew();
                scheduleNext();
            } catch (RuntimeException e) {
                Log.warn("mtls_renewal_failed", "spiffe_id", id.toString(), "error", String.valueOf(e.getMessage()),
                        "kept_not_after", current.svid().notAfter().toString());
                Duration next = nextRenewal();
                renewer.schedule(this::scheduleNext, Math.min(next.toMillis(), Renewal.RETRY.toMillis()),
                        TimeUnit.MILLISECONDS);
            }
        }, nextRenewal().toMillis(), TimeUnit.MILLISECONDS);
    }

    private MeshTls issue() {
        Svid svid = ca.issue(id, ttl);
        try {
            return MeshTls.build(svid, bundle, clock);
        } catch (SSLException e) {
            throw new CertificateException("cannot build a TLS context for " + id + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        renewer.shutdownNow();
    }
}
