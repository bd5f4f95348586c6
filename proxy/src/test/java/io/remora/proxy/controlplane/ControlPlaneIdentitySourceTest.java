package io.remora.proxy.controlplane;

import io.remora.certs.CertificateAuthority;
import io.remora.certs.CertificateException;
import io.remora.certs.Pem;
import io.remora.certs.SpiffeId;
import io.remora.protocol.CertificateResponse;
import io.remora.proxy.it.edge.LogCapture;
import io.remora.proxy.policy.Backoff;
import io.remora.proxy.tls.ControlPlaneIdentitySource;
import io.remora.proxy.tls.TlsMeters;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static io.remora.config.testing.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The control plane's identity source against a signer in the test: the first SVID by CSR (naming no identity),
 * kept on disk and used again at a restart while valid, renewed when the injected clock says it is due, and every
 * failure retried while the current SVID stays in use.
 */
@Timeout(30)
class ControlPlaneIdentitySourceTest {
    private static final SpiffeId WEB = SpiffeId.workload("cluster.local", "shop", "web");
    private static final Duration SOON = Duration.ofSeconds(10);

    @TempDir
    Path dir;
    @AutoClose
    private final LogCapture log = new LogCapture();

    private final MovableClock clock = new MovableClock();
    private final CertificateAuthority ca = CertificateAuthority.createRoot("cluster.local", Duration.ofDays(30),
            clock);
    private final Signer signer = new Signer();

    /** Signs for {@link #WEB}, after failing as scripted; records every CSR. */
    private final class Signer implements CertificateSigner {
        final Deque<Failure> failures = new ArrayDeque<>();
        final List<PKCS10CertificationRequest> csrs = new CopyOnWriteArrayList<>();
        volatile Failure always;
        volatile boolean wrongKeyOnce;

        @Override
        public synchronized CertificateResponse sign(String csrPem) throws Failure {
            PKCS10CertificationRequest csr = Pem.csr("csr", csrPem);
            csrs.add(csr);
            if (always != null) {
                throw always;
            }
            if (!failures.isEmpty()) {
                throw failures.poll();
            }
            String bundle = Pem.encode(List.of(ca.certificate()));
            if (wrongKeyOnce) {
                wrongKeyOnce = false;
                return new CertificateResponse(Pem.encode(ca.issue(WEB, Duration.ofHours(24)).chain()), bundle);
            }
            return new CertificateResponse(Pem.encode(ca.sign(csr, WEB, Duration.ofHours(24))), bundle);
        }
    }

    private ControlPlaneIdentitySource start(Duration startTimeout) {
        return new ControlPlaneIdentitySource(dir, "cp:15010", signer, new ControlPlaneIdentitySource.Timing(clock,
                new Backoff(Duration.ofMillis(1), Duration.ofMillis(20)), startTimeout, Duration.ofMillis(10)),
                TlsMeters.unregistered());
    }

    @Test
    void theFirstSvidComesByACsrNamingNoIdentityAndIsKept() {
        try (ControlPlaneIdentitySource source = start(SOON)) {
            assertThat(source.current().svid().id()).isEqualTo(WEB);
            assertThat(source.current().bundle().roots()).containsExactly(ca.certificate());
            // The control plane decides who this is; the request asks for nothing.
            assertThat(signer.csrs).singleElement().satisfies(csr -> assertThat(csr.getAttributes()).isEmpty());
            assertThat(Pem.readCertificates(dir.resolve("workload-chain.pem")).get(0))
                    .isEqualTo(source.current().svid().leaf());
            Duration untilRenewal = Duration.between(clock.instant(), source.nextAttempt());
            assertThat(untilRenewal).isBetween(Duration.ofHours(10), Duration.ofMinutes(13 * 60 + 12));
        }
    }

    @Test
    void aKeptSvidIsUsedAtOnceAndRenewalFailuresKeepItWhileRetrying() throws Exception {
        var first = start(SOON);
        var kept = first.current().svid();
        first.close();
        signer.always = CertificateSigner.Failure.failed("UNAVAILABLE: connection refused", null);

        try (ControlPlaneIdentitySource source = start(SOON)) {
            assertThat(source.current().svid().leaf()).isEqualTo(kept.leaf());
            assertThat(signer.csrs).hasSize(1);

            // Past half the lifetime plus the largest jitter (24h01m × 55 %), still before expiry.
            clock.advance(Duration.ofHours(14));
            eventually(SOON, () -> assertThat(signer.csrs).hasSizeGreaterThan(3));
            assertThat(source.current().svid().leaf()).isEqualTo(kept.leaf());
            eventually(SOON, () -> assertThat(log.events("certificate_request_failed")).isNotEmpty()
                    .allSatisfy(l -> assertThat(l.path("kept_not_after").asText())
                            .isEqualTo(kept.notAfter().toString())));

            signer.always = null;
            eventually(SOON, () -> assertThat(source.current().svid().leaf()).isNotEqualTo(kept.leaf()));
            assertThat(source.current().svid().id()).isEqualTo(WEB);
            assertThat(Duration.between(clock.instant(), source.nextAttempt())).isGreaterThan(Duration.ofHours(10));
        }
    }

    @Test
    void anExpiredKeptSvidIsNotUsed() {
        start(SOON).close();
        clock.advance(Duration.ofHours(25));

        try (ControlPlaneIdentitySource source = start(SOON)) {
            assertThat(signer.csrs).hasSize(2);
            assertThat(source.current().svid().notAfter()).isAfter(clock.instant());
        }
    }

    @Test
    void failuresAtStartAreRetriedUntilTheControlPlaneAnswers() {
        signer.failures.add(CertificateSigner.Failure.failed("UNAVAILABLE: connection refused", null));
        signer.failures.add(CertificateSigner.Failure.refused("token expired"));
        signer.wrongKeyOnce = true;

        try (ControlPlaneIdentitySource source = start(SOON)) {
            assertThat(signer.csrs).hasSize(4);
            assertThat(source.current().svid().id()).isEqualTo(WEB);
        }
    }

    @Test
    void noCertificateWithinTheStartTimeoutFailsWithTheLastReason() throws Exception {
        signer.always = CertificateSigner.Failure.refused("token expired");

        assertThatThrownBy(() -> start(Duration.ofMillis(300)))
                .isInstanceOf(CertificateException.class)
                .hasMessage("no workload certificate from the control plane at cp:15010 within 300ms: refused:"
                        + " token expired");
        eventually(SOON, () -> assertThat(log.events("certificate_refused")).isNotEmpty());
    }
}
