package io.remora.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A config file is refused above the size limit before it is parsed, and aliases cannot make it any larger. */
class ConfigLimitsTest {
    private static final String SERVICE = """
            apiVersion: remora.io/v1
            kind: Service
            metadata: {name: payments, namespace: shop}
            spec:
              endpoints: [{address: 10.0.0.1:80}]
            """;

    @TempDir
    Path dir;

    private static List<String> errors(List<Path> files, Map<String, String> env) {
        return ConfigLoader.validate(files, env).stream().map(ConfigError::format).toList();
    }

    /** A valid Service, then comments up to {@code size} bytes: without the limit it loads fine. */
    private Path fileOf(String name, int size) throws Exception {
        StringBuilder text = new StringBuilder(SERVICE);
        String comment = "# " + "x".repeat(77) + "\n";
        while (text.length() + comment.length() <= size) {
            text.append(comment);
        }
        text.append("#".repeat(size - text.length() - 1)).append('\n');
        return Files.writeString(dir.resolve(name), text);
    }

    @Test
    void aFileOverTheLimitIsRefusedBeforeItIsParsedWithItsSizeAndTheLimit() throws Exception {
        Path big = fileOf("big.yaml", 10 * 1024 * 1024);

        assertThat(errors(List.of(big), Map.of())).containsExactly(big + ": 10.0 MiB is over the 4 MiB limit for a"
                + " config file, expected a smaller file (or a higher REMORA_CONFIG_MAX_FILE_SIZE)");
    }

    @Test
    void theLimitIsSetByItsVariableWhichIsNotASidecarOverride() throws Exception {
        Path file = fileOf("mesh.yaml", 3000);

        assertThat(errors(List.of(file), Map.of("REMORA_CONFIG_MAX_FILE_SIZE", "2KiB"))).containsExactly(
                file + ": 2.9 KiB is over the 2 KiB limit for a config file, expected a smaller file (or a higher"
                        + " REMORA_CONFIG_MAX_FILE_SIZE)");
        assertThat(errors(List.of(file), Map.of("REMORA_CONFIG_MAX_FILE_SIZE", "3000"))).isEmpty();
        assertThat(errors(List.of(file), Map.of("REMORA_CONFIG_MAX_FILE_SIZE", "2999"))).singleElement().asString()
                .startsWith(file + ": 3000 bytes is over the 2.9 KiB limit");
        assertThat(errors(List.of(file), Map.of("REMORA_CONFIG_MAX_FILE_SIZE", "lots"))).containsExactly(
                "env: REMORA_CONFIG_MAX_FILE_SIZE: got \"lots\", expected a size above zero and below 2 GiB in bytes,"
                        + " or with KiB or MiB (e.g. 8MiB)");
        assertThat(ConfigLoader.envVariables()).doesNotContainAnyElementsOf(ConfigLoader.NON_CONFIG_ENV);
        List<ConfigError> found = new ArrayList<>();
        assertThat(EnvOverrides.read(Map.of("REMORA_CONFIG_MAX_FILE_SIZE", "8MiB"), ConfigLoader.NON_CONFIG_ENV,
                found)).isEmpty();
        assertThat(found).isEmpty();
    }

    @Test
    void aliasesMayNotExpandADocumentBeyondWhatAFileAtTheLimitHolds() throws Exception {
        StringBuilder bomb = new StringBuilder(SERVICE).append("---\na0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for (int i = 1; i < 10; i++) {
            bomb.append("a").append(i).append(": &a").append(i).append(" [")
                    .append(String.join(", ", java.util.Collections.nCopies(5, "*a" + (i - 1)))).append("]\n");
        }
        Path file = Files.writeString(dir.resolve("bomb.yaml"), bomb);

        // 45 aliases, 1 KiB of text: 5^9 copies of a ten-item list once expanded.
        assertThat(errors(List.of(file), Map.of())).containsExactly(file + ":7:1: aliases expand this document to"
                + " 27465826 values, over the 4194304 a file at the size limit could hold, expected fewer aliases of"
                + " large collections");

        Files.writeString(file, bomb + "b: [" + "*a0, ".repeat(10) + "*a0]\n");
        assertThat(errors(List.of(file), Map.of())).containsExactly(file + ": more than 50 aliases of lists and"
                + " mappings in one document, expected at most 50 (each one copies a whole collection)");
    }

    @Test
    void anAliasInsideTheCollectionItNamesIsRefused() throws Exception {
        Path file = Files.writeString(dir.resolve("loop.yaml"), SERVICE.replace("metadata: {name: payments,",
                "metadata: &m {labels: {x: *m}, name: payments,"));

        assertThat(errors(List.of(file), Map.of())).singleElement().asString()
                .startsWith(file + ":1:1: an alias inside the collection it names");
    }
}
