package io.remora.proxy.controlplane;

import io.remora.config.Sidecar;
import io.remora.config.Snapshot;
import io.remora.proxy.it.edge.LogCapture;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static io.remora.config.testing.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

/** The last-known-good file: what is saved loads back as the same snapshot; what does not load is not used. */
class LastKnownGoodTest {
    private static final String SERVICE = """
            apiVersion: remora.io/v1
            kind: Service
            metadata: {name: payments, namespace: shop}
            spec:
              endpoints: [{address: 127.0.0.1:8080}]
            """;

    @TempDir
    Path dir;
    @AutoClose
    private final LogCapture log = new LogCapture();

    @Test
    void whatIsSavedLoadsBackWithItsVersionAndTheSidecar() throws Exception {
        LastKnownGood lkg = new LastKnownGood(dir.resolve("state/shop/web"));
        lkg.save("v7", SERVICE);
        lkg.save("v8", SERVICE.replace("8080", "8081"));

        Snapshot s = lkg.load(Sidecar.defaults());

        assertThat(s.version()).isEqualTo("v8");
        assertThat(s.sidecar()).isEqualTo(Sidecar.defaults());
        assertThat(s.services()).singleElement().satisfies(service ->
                assertThat(service.spec().endpoints().get(0).address().port()).isEqualTo(8081));
        try (var files = Files.list(lkg.path().getParent())) {
            assertThat(files).containsExactly(lkg.path());
        }
    }

    @Test
    void nothingKeptIsNull() {
        assertThat(new LastKnownGood(dir).load(Sidecar.defaults())).isNull();
        assertThat(log.lines()).isEmpty();
    }

    @Test
    void aFileThatNoLongerValidatesIsNotUsedAndTheErrorsAreLoggedWithTheirLines() throws Exception {
        LastKnownGood lkg = new LastKnownGood(dir);
        lkg.save("v1", SERVICE.replace("8080", "80800"));

        assertThat(lkg.load(Sidecar.defaults())).isNull();

        eventually(Duration.ofSeconds(5), () -> assertThat(log.events("last_known_good_unusable")).singleElement()
                .satisfies(line -> assertThat(line.path("error").asText()).startsWith(lkg.path() + ":6:")));
    }

    @Test
    void aFileWithoutItsVersionLineIsNotUsed() throws Exception {
        LastKnownGood lkg = new LastKnownGood(dir);
        Files.writeString(lkg.path(), SERVICE);

        assertThat(lkg.load(Sidecar.defaults())).isNull();
        eventually(Duration.ofSeconds(5), () -> assertThat(log.events("last_known_good_unusable")).hasSize(1));
    }
}
