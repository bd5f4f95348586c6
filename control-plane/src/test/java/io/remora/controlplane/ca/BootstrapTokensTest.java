package io.remora.controlplane.ca;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BootstrapTokensTest {
    @TempDir
    Path dir;

    @Test
    void aTokenProvesTheWorkloadOnItsLineAndTokensAddedLaterAreSeen() throws Exception {
        Path file = dir.resolve("tokens");
        Files.writeString(file, "# comment\nshop/web s3cret\n");
        BootstrapTokens tokens = new BootstrapTokens(file);
        assertThat(tokens.verify("s3cret")).isEqualTo(new CredentialVerifier.Workload("shop", "web"));
        String added = BootstrapTokens.add(file, "shop", "cart");
        Files.setLastModifiedTime(file, java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() + 5000));
        assertThat(tokens.verify(added)).isEqualTo(new CredentialVerifier.Workload("shop", "cart"));
        assertThatThrownBy(() -> tokens.verify("guess")).isInstanceOf(CredentialVerifier.Refused.class)
                .hasMessageContaining("bootstrap token is not known to the control plane")
                .hasMessageNotContaining(file.toString())
                .satisfies(e -> assertThat(((CredentialVerifier.Refused) e).detail())
                        .contains("not one of " + file + ", 2 known"));
    }

    @Test
    void theFileIsTheOwnersAloneAndALineBrokenLaterKeepsTheTokensReadBefore() throws Exception {
        Path file = dir.resolve("tokens");
        String token = BootstrapTokens.add(file, "shop", "web");
        assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
                .isEqualTo("rw-------");
        BootstrapTokens tokens = new BootstrapTokens(file);
        Files.writeString(file, "oops\n", java.nio.file.StandardOpenOption.APPEND);
        assertThat(tokens.verify(token)).isEqualTo(new CredentialVerifier.Workload("shop", "web"));
    }

    @Test
    void aMalformedLineIsReportedWithItsPosition() throws Exception {
        Path file = dir.resolve("tokens");
        Files.writeString(file, "shop/web s3cret\njust-a-token\n");
        assertThatThrownBy(() -> new BootstrapTokens(file)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(file + ":2:1").hasMessageContaining("expected <namespace>/<serviceAccount> <token>");
    }
}
