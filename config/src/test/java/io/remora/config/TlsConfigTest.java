package io.remora.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TlsConfigTest {
    @TempDir
    Path dir;

    private static String sidecar(String tls) {
        return """
                apiVersion: remora.io/v1
                kind: Sidecar
                metadata: {name: s}
                spec:
                  inbound:
                    app: 127.0.0.1:8080
                    tls: %s
                """.formatted(tls);
    }

    @Test
    void readablePemFilesBind() throws Exception {
        Path cert = Files.writeString(dir.resolve("c.pem"), "-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n");
        Path key = Files.writeString(dir.resolve("k.pem"), "-----BEGIN PRIVATE KEY-----\nx\n-----END PRIVATE KEY-----\n");
        Snapshot s = ConfigLoader.parse("s.yaml", sidecar("{certificate: " + cert + ", privateKey: " + key + "}"),
                Map.of());
        assertThat(s.sidecar().spec().inbound().tls()).isEqualTo(new Sidecar.Tls(cert.toString(), key.toString()));
    }

    @Test
    void missingFileAndMissingFieldAreReportedWithTheirPlace() throws Exception {
        Path cert = Files.writeString(dir.resolve("c.pem"), "not pem at all\n");
        assertThatThrownBy(() -> ConfigLoader.parse("s.yaml",
                sidecar("{certificate: " + cert + ", privateKey: /nonexistent/k.pem}"), Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("s.yaml:7:")
                .hasMessageContaining("spec.inbound.tls.privateKey: got \"/nonexistent/k.pem\", a file that does not exist")
                .hasMessageContaining("spec.inbound.tls.certificate")
                .hasMessageContaining("holds no PEM CERTIFICATE block");
        assertThatThrownBy(() -> ConfigLoader.parse("s.yaml", sidecar("{certificate: " + cert + "}"), Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("privateKey");
    }
}
