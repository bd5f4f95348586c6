package io.remora.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class ValidateCommandTest {
    private static final String SERVICE = """
            apiVersion: remora.io/v1
            kind: Service
            metadata: {name: payments, namespace: shop}
            spec:
              endpoints: [{address: 127.0.0.1:8081}]
            """;
    private static final String SIDECAR_AND_ROUTE = """
            apiVersion: remora.io/v1
            kind: Sidecar
            metadata: {name: web, namespace: shop}
            spec:
              outbound: {upstreams: [{listen: 127.0.0.1:9001, service: payments.shop}]}
            ---
            apiVersion: remora.io/v1
            kind: Route
            metadata: {name: payments, namespace: shop}
            spec:
              services: [payments.shop]
              rules: [{backends: [{service: payments.shop}]}]
            """;

    @TempDir
    Path dir;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(Map<String, String> env, String... args) {
        CommandLine command = new CommandLine(new ValidateCommand(env));
        command.setOut(new PrintWriter(out));
        command.setErr(new PrintWriter(err));
        return command.execute(args);
    }

    @Test
    void validFilesPrintASummaryAndExitZero() throws Exception {
        Path services = Files.writeString(dir.resolve("services.yaml"), SERVICE);
        Path rest = Files.writeString(dir.resolve("sidecar.yaml"), SIDECAR_AND_ROUTE);

        int status = run(Map.of(), services.toString(), rest.toString());

        assertThat(status).isZero();
        assertThat(err.toString()).isEmpty();
        assertThat(out.toString()).matches("ok: 3 resources in 2 file\\(s\\), version [0-9a-f]{12}\\R");
    }

    @Test
    void everyErrorIsPrintedOnItsOwnLineAndExitIsOne() throws Exception {
        Path file = Files.writeString(dir.resolve("bad.yaml"), SERVICE.replace("127.0.0.1:8081", "127.0.0.1:0")
                + "---\n" + SIDECAR_AND_ROUTE.replace("service: payments.shop}]}\n", "service: billing.shop}]}\n"));

        int status = run(Map.of("REMORA_THREADS", "many"), file.toString());

        assertThat(status).isEqualTo(1);
        assertThat(out.toString()).isEmpty();
        assertThat(err.toString().lines()).containsExactly(
                file + ":5:25: spec.endpoints[0].address: got \"127.0.0.1:0\", expected a port 1-65535 (port 0 is"
                        + " only for listen addresses)",
                file + ":11:60: spec.outbound.upstreams[0].service: got \"billing.shop\", expected a Service key"
                        + " (name.namespace) or host; known services: payments.shop",
                "env: REMORA_THREADS: got \"many\", expected an integer 0-64 (0 means one per core)");
    }

    @Test
    void missingFileIsNamedAndExitIsOne() {
        Path missing = dir.resolve("missing.yaml");

        int status = run(Map.of(), missing.toString());

        assertThat(status).isEqualTo(1);
        assertThat(err.toString().lines()).containsExactly(
                missing + ": cannot read file: no such file, expected a readable YAML file");
    }

    @Test
    void atLeastOneFileIsRequired() {
        int status = run(Map.of());

        assertThat(status).isEqualTo(2);
        assertThat(err.toString()).contains("Missing required parameter");
    }
}
