package io.remora.proxy.tls;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.remora.certs.CertificateAuthority;
import io.remora.certs.SpiffeId;
import io.remora.certs.TrustBundle;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The certificate-expiry gauges read the certificates in use, also after a garbage collection. */
class TlsMetersTest {
    @Test
    void expiryGaugesSurviveAGarbageCollection() throws Exception {
        Clock clock = Clock.systemUTC();
        CertificateAuthority root = CertificateAuthority.createRoot("cluster.local", Duration.ofDays(2), clock);
        TrustBundle bundle = new TrustBundle("cluster.local", List.of(root.certificate()));
        MeshTls tls = MeshTls.build(root.issue(SpiffeId.workload("cluster.local", "shop", "web"),
                Duration.ofHours(1)), bundle, clock);
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        new TlsMeters(registry).expiries(() -> tls);
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(20);
        }
        assertThat(expiry(registry, "workload")).isEqualTo(tls.svid().notAfter().getEpochSecond());
        assertThat(expiry(registry, "root")).isEqualTo(root.certificate().getNotAfter().toInstant().getEpochSecond());
    }

    private static double expiry(SimpleMeterRegistry registry, String certificate) {
        return registry.get("remora.cert.expiry.timestamp.seconds").tag("certificate", certificate).gauge().value();
    }
}
