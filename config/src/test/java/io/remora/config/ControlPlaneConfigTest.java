package io.remora.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ControlPlaneConfigTest {
    @TempDir
    Path dir;

    private String sidecar(String controlPlane, String extra) {
        return """
                apiVersion: remora.io/v1
                kind: Sidecar
                metadata: {name: web, namespace: shop}
                spec:
                  outbound:
                    upstreams:
                      - {listen: 127.0.0.1:9001, service: payments.shop}
                """ + controlPlane + extra;
    }

    private String controlPlane() throws Exception {
        Path token = Files.writeString(dir.resolve("token"), "t0k\n");
        Path root = Files.writeString(dir.resolve("root.pem"), "-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n");
        return "  controlPlane:\n    address: 127.0.0.1:15010\n    tokenFile: " + token + "\n    trustBundle: " + root + "\n";
    }

    @Test
    void aSidecarWithAControlPlaneMayCallServicesItsFilesDoNotHold() throws Exception {
        Snapshot s = ConfigLoader.parse("web.yaml", sidecar(controlPlane(), ""), Map.of());
        Sidecar.ControlPlane cp = s.sidecar().spec().controlPlane();
        assertThat(cp.address()).isEqualTo(HostPort.parse("127.0.0.1:15010"));
        assertThat(s.sidecar().stateDir().toString()).endsWith("/remora/shop/web");
    }

    @Test
    void servicesInTheSidecarsFilesAreRefusedBesideAControlPlane() throws Exception {
        String text = sidecar(controlPlane(), """
                ---
                apiVersion: remora.io/v1
                kind: Service
                metadata: {name: payments, namespace: shop}
                spec:
                  endpoints: [{address: 127.0.0.1:8080}]
                """);
        assertThatThrownBy(() -> ConfigLoader.parse("web.yaml", text, Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("web.yaml:15:")
                .hasMessageContaining("services, routes and policies come from the control plane");
    }

    @Test
    void missingCredentialAndCertificateFilesAreRefused() {
        String text = sidecar("""
                  controlPlane:
                    address: 127.0.0.1:15010
                    tokenFile: /nonexistent/token
                    identity: cp
                  mtls:
                    mode: STRICT
                    certificate: /x.pem
                    privateKey: /x.key
                """, "");
        assertThatThrownBy(() -> ConfigLoader.parse("web.yaml", text, Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("spec.controlPlane.tokenFile")
                .hasMessageContaining("spec.controlPlane.trustBundle: missing")
                .hasMessageContaining("expected a SPIFFE ID")
                .hasMessageContaining("the control plane issues the certificate");
    }

    @Test
    void theControlPlaneCanBeSetFromTheEnvironment() throws Exception {
        Path token = Files.writeString(dir.resolve("token"), "t0k\n");
        Path root = Files.writeString(dir.resolve("root.pem"), "-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n");
        Snapshot s = ConfigLoader.parse("web.yaml", sidecar("", ""), Map.of(
                "REMORA_CONTROL_PLANE_ADDRESS", "10.0.0.1:15010",
                "REMORA_CONTROL_PLANE_TOKEN_FILE", token.toString(),
                "REMORA_CONTROL_PLANE_TRUST_BUNDLE", root.toString(),
                "REMORA_CONTROL_PLANE_STATE_DIR", dir.toString()));
        assertThat(s.sidecar().spec().controlPlane().address().port()).isEqualTo(15010);
        assertThat(s.sidecar().stateDir()).isEqualTo(dir);
    }
}
