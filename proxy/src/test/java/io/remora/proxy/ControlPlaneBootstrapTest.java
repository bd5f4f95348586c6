package io.remora.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.remora.config.ConfigLoader;
import io.remora.config.MtlsMode;
import io.remora.config.Sidecar;
import org.junit.jupiter.api.Test;

import java.util.Map;

class ControlPlaneBootstrapTest {
    @Test
    void theDefaultMtlsOfAControlPlaneSidecarKeepsEveryOtherField() throws Exception {
        Sidecar sidecar = ConfigLoader.parse("web.yaml", """
                apiVersion: remora.io/v1
                kind: Sidecar
                metadata: {name: web, namespace: shop}
                spec:
                  threads: 1
                  drainTime: 7s
                  tracing: {collector: 'http://otel-collector.observability:4318', sampling: 5}
                """, Map.of()).sidecar();

        Sidecar running = ControlPlaneBootstrap.withDefaultMtls(sidecar);

        assertThat(running.spec().mtls().mode()).isEqualTo(MtlsMode.PERMISSIVE);
        assertThat(running.spec().withMtls(null)).isEqualTo(sidecar.spec());
    }
}
