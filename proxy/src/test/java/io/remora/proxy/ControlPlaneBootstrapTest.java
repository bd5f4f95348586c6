package io.remora.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.remora.config.MtlsMode;
import io.remora.config.Sidecar;
import io.remora.config.testing.TestMesh;
import org.junit.jupiter.api.Test;

class ControlPlaneBootstrapTest {
    @Test
    void theDefaultMtlsOfAControlPlaneSidecarKeepsEveryOtherField() throws Exception {
        Sidecar sidecar = TestMesh.sidecar("web", "shop").set("drainTime", "7s")
                .set("tracing", "{collector: 'http://otel-collector.observability:4318', sampling: 5}").snapshot()
                .sidecar();

        Sidecar running = ControlPlaneBootstrap.withDefaultMtls(sidecar);

        assertThat(running.spec().mtls().mode()).isEqualTo(MtlsMode.PERMISSIVE);
        assertThat(running.spec().withMtls(null)).isEqualTo(sidecar.spec());
    }
}
