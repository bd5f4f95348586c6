package io.remora.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Relative file paths in a config file are resolved against that file's directory, not the current one. */
class RelativePathsTest {
    private static final String PEM_CERT = "-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n";
    private static final String PEM_KEY = "-----BEGIN PRIVATE KEY-----\nx\n-----END PRIVATE KEY-----\n";

    @TempDir
    Path dir;

    @Test
    void certificateKeyTrustBundleAndTokenFilesResolveAgainstTheFilesDirectory() throws Exception {
        Path config = Files.createDirectories(dir.resolve("etc/remora"));
        Files.createDirectories(config.resolve("certs"));
        Files.writeString(config.resolve("certs/tls.crt"), PEM_CERT);
        Files.writeString(config.resolve("certs/tls.key"), PEM_KEY);
        Files.writeString(dir.resolve("etc/root.pem"), PEM_CERT);
        Files.writeString(config.resolve("token"), "secret\n");
        Path sidecar = Files.writeString(config.resolve("sidecar.yaml"), """
                apiVersion: remora.io/v1
                kind: Sidecar
                metadata: {name: web, namespace: shop}
                spec:
                  inbound:
                    tls: {certificate: certs/tls.crt, privateKey: ./certs/tls.key}
                  controlPlane:
                    address: 127.0.0.1:15010
                    tokenFile: token
                    trustBundle: ../root.pem
                    stateDir: state
                """);

        Sidecar.Spec spec = ConfigLoader.load(List.of(sidecar), Map.of()).sidecar().spec();

        assertThat(spec.inbound().tls()).isEqualTo(new Sidecar.Tls(config.resolve("certs/tls.crt").toString(),
                config.resolve("certs/tls.key").toString()));
        assertThat(spec.controlPlane().tokenFile()).isEqualTo(config.resolve("token").toString());
        assertThat(spec.controlPlane().trustBundle()).isEqualTo(dir.resolve("etc/root.pem").toString());
        assertThat(spec.controlPlane().stateDir()).isEqualTo(config.resolve("state").toString());
    }

    @Test
    void aMissingRelativeFileIsReportedWithThePathItResolvedTo() throws Exception {
        Files.writeString(dir.resolve("root.pem"), PEM_CERT);
        Path sidecar = Files.writeString(dir.resolve("sidecar.yaml"), """
                apiVersion: remora.io/v1
                kind: Sidecar
                metadata: {name: web, namespace: shop}
                spec:
                  mtls:
                    localCa: {certificate: ca/root.pem, privateKey: ca/root.key}
                    trustBundle: root.pem
                """);

        assertThat(ConfigLoader.validate(List.of(sidecar), Map.of())).extracting(ConfigError::format).containsExactly(
                sidecar + ":6:28: spec.mtls.localCa.certificate: got \"" + dir.resolve("ca/root.pem")
                        + "\", a file that does not exist or cannot be read; expected a readable PEM file",
                sidecar + ":6:53: spec.mtls.localCa.privateKey: got \"" + dir.resolve("ca/root.key")
                        + "\", a file that does not exist or cannot be read; expected a readable PEM file");
    }

    @Test
    void absolutePathsStayAsWritten() throws Exception {
        Path cert = Files.writeString(dir.resolve("c.pem"), PEM_CERT);
        Path key = Files.writeString(dir.resolve("k.pem"), PEM_KEY);
        String yaml = """
                apiVersion: remora.io/v1
                kind: Sidecar
                metadata: {name: web}
                spec:
                  inbound: {tls: {certificate: %s, privateKey: %s}}
                """.formatted(cert, key);

        Path elsewhere = Files.writeString(Files.createDirectories(dir.resolve("other")).resolve("s.yaml"), yaml);
        assertThat(ConfigLoader.load(List.of(elsewhere), Map.of()).sidecar().spec().inbound().tls().certificate())
                .isEqualTo(cert.toString());
    }
}
