package io.remora.proxy.tls;

import io.remora.proxy.Daemons;
import io.remora.certs.CertificateException;
import io.remora.certs.Pem;
import io.remora.certs.Svid;
import io.remora.certs.TrustBundle;
import io.remora.config.Sidecar;
import io.remora.log.Log;

import javax.net.ssl.SSLException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * mTLS material from PEM files ({@code mtls.certificate}, {@code privateKey}, {@code trustBundle}), checked every
 * second on a thread of its own (never an event loop) and reloaded when any of them changes, so whatever rotates
 * the files (a CSI driver, cert-manager, {@code remora certs issue}) rotates the sidecar. A bad set of files at
 * start is an error naming the file; a bad set later is logged and the previous generation stays in use.
 */
public final class FileIdentitySource implements IdentitySource {
    private final Path certificate;
    private final Path privateKey;
    private final Path trustBundle;
    private final Clock clock;
    private final ScheduledExecutorService watcher;
    private volatile MeshTls current;
    private List<FileTime> stamps;

    public FileIdentitySource(Sidecar.Mtls config, Clock clock, TlsMeters meters, long checkMillis) {
        this.certificate = Path.of(config.certificate());
        this.privateKey = Path.of(config.privateKey());
        this.trustBundle = Path.of(config.trustBundle());
        this.clock = clock;
        this.stamps = stamps();
        this.current = load();
        meters.expiries(this::current);
        this.watcher = Daemons.scheduler("remora-cert-watch");
        watcher.scheduleWithFixedDelay(this::reloadIfChanged, checkMillis, checkMillis, TimeUnit.MILLISECONDS);
    }

    @Override
    public MeshTls current() {
        return current;
    }

    /** Reloads when a file changed; returns whether a new generation is in use. */
    public synchronized boolean reloadIfChanged() {
        List<FileTime> now = stamps();
        if (now.equals(stamps)) {
            return false;
        }
        stamps = now;
        try {
            MeshTls next = load();
            current = next;
            Log.info("mtls_reloaded", "spiffe_id", next.svid().id().toString(),
                    "not_after", next.svid().notAfter().toString(), "roots", next.bundle().roots().size());
            return true;
        } catch (CertificateException e) {
            Log.warn("mtls_reload_failed", "error", e.getMessage(), "kept_spiffe_id", current.svid().id().toString(),
                    "kept_not_after", current.svid().notAfter().toString());
            return false;
        }
    }

    private MeshTls load() {
        Svid svid = Svid.of(certificate.toString(), Pem.readCertificates(certificate), Pem.readPrivateKey(privateKey));
        TrustBundle bundle = TrustBundle.of(trustBundle.toString(), Pem.readCertificates(trustBundle));
        if (!bundle.trustDomain().equals(svid.id().trustDomain())) {
            throw new CertificateException(certificate + ": " + svid.id() + " is not in the trust domain of "
                    + trustBundle + " (" + bundle.trustDomain() + ")");
        }
        try {
            bundle.verify(svid.chain(), clock.instant());
        } catch (io.remora.certs.SvidException e) {
            throw new CertificateException(certificate + ": the workload certificate is not usable: " + e.getMessage(), e);
        }
        try {
            return MeshTls.build(svid, bundle, clock);
        } catch (SSLException e) {
            throw new CertificateException(certificate + ": cannot build a TLS context: " + e.getMessage(), e);
        }
    }

    private List<FileTime> stamps() {
        try {
            return List.of(Files.getLastModifiedTime(certificate), Files.getLastModifiedTime(privateKey),
                    Files.getLastModifiedTime(trustBundle));
        } catch (IOException e) {
            return List.of();
        }
    }

    @Override
    public void close() {
        watcher.shutdownNow();
    }
}
