package io.remora.proxy.tls;

import io.remora.certs.CertificateException;
import io.remora.certs.KeyPairs;
import io.remora.certs.Pem;
import io.remora.certs.Svid;
import io.remora.certs.SvidException;
import io.remora.certs.TrustBundle;
import io.remora.log.Log;
import io.remora.protocol.CertificateResponse;
import io.remora.proxy.Daemons;
import io.remora.proxy.controlplane.CertificateSigner;
import io.remora.proxy.policy.Backoff;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;

import javax.net.ssl.SSLException;
import java.io.IOException;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The workload's identity from the control plane's CA service: a fresh ECDSA P-256 key pair and a CSR naming no
 * identity (the control plane decides it from the workload's credential), signed into an X.509-SVID; the trust
 * bundle that comes with it is what peers are checked against. Renewed at half its lifetime (± 5 %, {@link Renewal})
 * with a new key each time; a failed request is retried with full-jitter backoff while the current SVID stays in use.
 *
 * <p>Every SVID is kept in the state directory ({@link PersistedSvid}). At start a kept SVID that is still valid is
 * used at once (a sidecar restarted while the control plane is down keeps speaking mTLS) and renewed when due; with
 * none, start waits for the control plane up to {@link Timing#startTimeout}, retrying, and fails with the last
 * reason. The work runs on a daemon thread of its own, never an event loop; it looks at the injected clock every
 * {@link Timing#checkInterval}, so renewal follows that clock (tests move it; a resumed machine renews at once).
 */
public final class ControlPlaneIdentitySource implements IdentitySource {
    /**
     * @param clock         what renewal and certificate validity are judged by
     * @param retry         backoff between failed requests
     * @param startTimeout  how long start waits for the first certificate when none is kept
     * @param checkInterval how often the clock is looked at for a due renewal or retry
     */
    public record Timing(Clock clock, Backoff retry, Duration startTimeout, Duration checkInterval) {
        public static Timing defaults() {
            return new Timing(Clock.systemUTC(), new Backoff(Duration.ofMillis(250), Duration.ofSeconds(30)),
                    Duration.ofSeconds(10), Duration.ofSeconds(1));
        }
    }

    private final CertificateSigner signer;
    private final PersistedSvid state;
    private final String controlPlane;
    private final Timing timing;
    private final Clock clock;
    private final TlsMeters meters;
    private final ScheduledExecutorService renewer;
    private volatile MeshTls current;
    /** Renewer thread only, after start: when the next request is due, and failures in a row. */
    private volatile Instant nextAttempt;
    private int failures;
    /** The last reason a request failed, for the start-up error. */
    private volatile String lastFailure;

    /**
     * Gets the first identity (kept or new) and starts renewing.
     *
     * @param stateDir     where the SVID, its key and the bundle are kept
     * @param controlPlane the control plane's address, for logs and errors
     * @throws CertificateException when no SVID is kept and the control plane gave none within the start timeout;
     *                              the message carries the last reason (the control plane's refusal, or why it could
     *                              not be reached)
     */
    public ControlPlaneIdentitySource(Path stateDir, String controlPlane, CertificateSigner signer, Timing timing,
                                      TlsMeters meters) {
        this.signer = signer;
        this.state = new PersistedSvid(stateDir);
        this.controlPlane = controlPlane;
        this.timing = timing;
        this.clock = timing.clock();
        this.meters = meters;
        this.renewer = Daemons.scheduler("remora-cert-renew");
        try {
            PersistedSvid.Identity kept = state.load(clock.instant());
            if (kept != null) {
                current = MeshTls.build(kept.svid(), kept.bundle(), clock);
                Log.info("mtls_identity_restored", "spiffe_id", kept.svid().id().toString(),
                        "not_after", kept.svid().notAfter().toString(), "dir", stateDir.toString());
            } else {
                current = first();
            }
        } catch (SSLException e) {
            stopRenewer();
            throw new CertificateException("cannot build a TLS context from " + stateDir + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            stopRenewer();
            throw e;
        }
        nextAttempt = renewalTime(current);
        meters.expiries(this::current);
        long every = timing.checkInterval().toMillis();
        renewer.scheduleWithFixedDelay(this::renewIfDue, every, every, TimeUnit.MILLISECONDS);
    }

    @Override
    public MeshTls current() {
        return current;
    }

    /** When the next request is due: the renewal time, or the next retry after a failure. */
    public Instant nextAttempt() {
        return nextAttempt;
    }

    /** Waits on the caller's thread for the first SVID, requested (and retried) on the renewer's. */
    private MeshTls first() {
        CompletableFuture<MeshTls> got = new CompletableFuture<>();
        renewer.execute(() -> attemptFirst(got, 1));
        try {
            return got.get(timing.startTimeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            got.cancel(false);
            throw new CertificateException("no workload certificate from the control plane at " + controlPlane
                    + " within " + io.remora.config.Durations.format(timing.startTimeout()) + ": "
                    + (lastFailure != null ? lastFailure : "no answer"));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CertificateException("interrupted while waiting for the workload certificate", e);
        } catch (ExecutionException e) {
            throw new CertificateException("cannot get the workload certificate: " + e.getCause(), e.getCause());
        }
    }

    private void attemptFirst(CompletableFuture<MeshTls> got, int attempt) {
        if (got.isDone()) {
            return;
        }
        try {
            MeshTls tls = obtain();
            if (got.complete(tls)) {
                Log.info("mtls_issued", "spiffe_id", tls.svid().id().toString(), "serial", serial(tls),
                        "not_after", tls.svid().notAfter().toString(), "control_plane", controlPlane);
            }
        } catch (CertificateSigner.Failure | RuntimeException e) {
            long delay = timing.retry().delayNanos(attempt, ThreadLocalRandom.current());
            failed(e, attempt, Duration.ofNanos(delay), null);
            renewer.schedule(() -> attemptFirst(got, attempt + 1), delay, TimeUnit.NANOSECONDS);
        }
    }

    /** On the renewer, every check interval: renews when due, or retries after a failure. */
    private void renewIfDue() {
        Instant now = clock.instant();
        if (now.isBefore(nextAttempt)) {
            return;
        }
        try {
            MeshTls next = obtain();
            current = next;
            failures = 0;
            nextAttempt = renewalTime(next);
            Log.info("mtls_renewed", "spiffe_id", next.svid().id().toString(), "serial", serial(next),
                    "not_after", next.svid().notAfter().toString(), "next_renewal", nextAttempt.toString());
        } catch (CertificateSigner.Failure | RuntimeException e) {
            // Caught whole: a scheduled task that throws is never run again.
            failures++;
            Duration delay = Duration.ofNanos(timing.retry().delayNanos(failures, ThreadLocalRandom.current()));
            nextAttempt = now.plus(delay);
            failed(e, failures, delay, current);
        }
    }

    /** One request: a new key pair and CSR, signed, checked against the bundle that came with it, and kept. */
    private MeshTls obtain() throws CertificateSigner.Failure {
        KeyPair keys = KeyPairs.ecP256();
        CertificateResponse response;
        try {
            response = signer.sign(Pem.encode(csr(keys)));
        } catch (CertificateSigner.Failure e) {
            meters.certificateRequest(e.refused() ? "refused" : "failed");
            throw e;
        }
        MeshTls tls;
        try {
            String source = "the certificate from " + controlPlane;
            Svid svid = Svid.of(source, Pem.certificates(source, response.certificateChain()), keys.getPrivate());
            String bundleSource = "the trust bundle from " + controlPlane;
            TrustBundle bundle = TrustBundle.of(bundleSource, Pem.certificates(bundleSource, response.trustBundle()));
            bundle.verify(svid.chain(), clock.instant());
            tls = MeshTls.build(svid, bundle, clock);
        } catch (CertificateException | SvidException | SSLException e) {
            meters.certificateRequest("failed");
            throw CertificateSigner.Failure.failed("the control plane's certificate is unusable: " + e.getMessage(), e);
        }
        meters.certificateRequest("issued");
        try {
            state.save(tls.svid(), tls.bundle());
        } catch (IOException e) {
            // Still usable; only a restart without the control plane would miss it.
            Log.warn("mtls_state_write_failed", "dir", state.dir().toString(), "error", e.toString());
        }
        return tls;
    }

    private void failed(Exception e, int attempt, Duration retryIn, MeshTls kept) {
        boolean refused = e instanceof CertificateSigner.Failure f && f.refused();
        String reason = e instanceof CertificateSigner.Failure ? e.getMessage() : String.valueOf(e);
        lastFailure = (refused ? "refused: " : "") + reason;
        Log.warn(refused ? "certificate_refused" : "certificate_request_failed", "control_plane", controlPlane,
                "reason", reason, "attempt", attempt, "retry_in_ms", retryIn.toMillis(),
                "kept_not_after", kept == null ? "none" : kept.svid().notAfter().toString());
    }

    private Instant renewalTime(MeshTls tls) {
        Instant now = clock.instant();
        return now.plus(Renewal.delay(now, tls.svid().notBefore(), tls.svid().notAfter(),
                ThreadLocalRandom.current()));
    }

    private static String serial(MeshTls tls) {
        return tls.svid().leaf().getSerialNumber().toString(16);
    }

    /** A request for {@code keys} naming no identity: the control plane decides it from the credential. */
    static PKCS10CertificationRequest csr(KeyPair keys) {
        try {
            return new JcaPKCS10CertificationRequestBuilder(new X500Name(""), keys.getPublic())
                    .build(new JcaContentSignerBuilder("SHA256withECDSA").build(keys.getPrivate()));
        } catch (OperatorCreationException e) {
            throw new CertificateException("cannot create a CSR: " + e.getMessage(), e);
        }
    }

    /** Stops the renewer and waits (briefly) for a request in flight, so nothing is asked for after a failed start. */
    private void stopRenewer() {
        renewer.shutdownNow();
        try {
            renewer.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        renewer.shutdownNow();
    }
}
