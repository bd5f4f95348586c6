package io.remora.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
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

    @Test
    void aFileOverTheSizeLimitIsOneLineNotAnOutOfMemoryError() throws Exception {
        Path big = dir.resolve("big.yaml");
        try (java.io.Writer w = Files.newBufferedWriter(big)) {
            w.write(SERVICE);
            String filler = "# " + "x".repeat(1021) + "\n";
            for (int i = 0; i < 10 * 1024; i++) {
                w.write(filler);
            }
        }

        int status = run(Map.of(), big.toString());

        assertThat(status).isEqualTo(1);
        assertThat(err.toString().lines()).containsExactly(big + ": 10.0 MiB is over the 4 MiB limit for a config"
                + " file, expected a smaller file (or a higher REMORA_CONFIG_MAX_FILE_SIZE)");
        assertThat(run(Map.of("REMORA_CONFIG_MAX_FILE_SIZE", "11MiB"), big.toString())).isZero();
    }

    @Test
    void anEmptyFileIsAnErrorNotZeroResources() throws Exception {
        Path empty = Files.writeString(dir.resolve("sidecar.yaml"), "# nothing yet\n");

        int status = run(Map.of(), empty.toString());

        assertThat(status).isEqualTo(1);
        assertThat(out.toString()).isEmpty();
        assertThat(err.toString().lines()).containsExactly(empty + ": holds no resource (it is empty or only"
                + " comments), expected at least a Sidecar or a Service, Route or AuthorizationPolicy document");
    }

    @Test
    void aDirectoryWhereAFileIsExpectedIsAnError() throws Exception {
        Path mounted = Files.createDirectories(dir.resolve("sidecar.yaml"));

        int status = run(Map.of("REMORA_THREADS", "1"), mounted.toString());

        assertThat(status).isEqualTo(1);
        assertThat(err.toString().lines()).containsExactly(mounted + ": a directory with no *.yaml or *.yml files"
                + " where a file is expected (what a bind mount of a missing file creates), expected at least a"
                + " Sidecar or a Service, Route or AuthorizationPolicy document");
    }

    @Test
    void aDirectoryCountsItsYamlFiles() throws Exception {
        Path config = Files.createDirectories(dir.resolve("config"));
        Files.writeString(config.resolve("services.yaml"), SERVICE);
        Files.writeString(config.resolve("sidecar.yml"), SIDECAR_AND_ROUTE);
        Files.writeString(config.resolve("README.txt"), "not config");

        int status = run(Map.of(), config.toString());

        assertThat(status).isZero();
        assertThat(out.toString()).matches("ok: 3 resources in 2 file\\(s\\), version [0-9a-f]{12}\\R");
    }

    @Test
    void relativePathsResolveAgainstTheFileNotTheCurrentDirectory() throws Exception {
        Path config = Files.createDirectories(dir.resolve("etc/remora"));
        Files.createDirectories(config.resolve("certs"));
        Files.writeString(config.resolve("certs/tls.crt"), "-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n");
        Files.writeString(config.resolve("certs/tls.key"), "-----BEGIN PRIVATE KEY-----\nx\n-----END PRIVATE KEY-----\n");
        String sidecar = """
                apiVersion: remora.io/v1
                kind: Sidecar
                metadata: {name: web, namespace: shop}
                spec:
                  inbound: {tls: {certificate: certs/tls.crt, privateKey: certs/tls.key}}
                """;
        Path file = Files.writeString(config.resolve("sidecar.yaml"), sidecar);

        assertThat(run(Map.of(), file.toAbsolutePath().toString())).as(err.toString()).isZero();

        Files.writeString(file, sidecar.replace("certs/tls.key", "certs/missing.key"));
        assertThat(run(Map.of(), file.toAbsolutePath().toString())).isEqualTo(1);
        assertThat(err.toString().lines()).containsExactly(file + ":5:59: spec.inbound.tls.privateKey: got \""
                + config.resolve("certs/missing.key") + "\", a file that does not exist or cannot be read; expected a"
                + " readable PEM file");
    }

    /** A Service document, broken at line 6 and after by {@code spec}. */
    private List<String> syntaxErrors(String name, String spec) throws Exception {
        Path file = Files.writeString(dir.resolve(name), """
                apiVersion: remora.io/v1
                kind: Service
                metadata:
                  name: payments
                spec:
                """ + spec + """
                ---
                apiVersion: remora.io/v1
                kind: Route
                metadata: {name: payments}
                spec:
                  services: [payments.default]
                  rules: [{backends: [{service: payments.default}]}]
                """);
        out.getBuffer().setLength(0);
        err.getBuffer().setLength(0);
        assertThat(run(Map.of(), file.toString())).isEqualTo(1);
        return err.toString().lines().map(l -> l.substring(dir.toString().length() + 1)).toList();
    }

    @Test
    void syntaxErrorsArePrintedAloneAtTheLineThatIsWrongInPlainWords() throws Exception {
        assertThat(syntaxErrors("indent.yaml", "  endpoints: [{address: 10.0.0.1:80}]\n   protocol: http\n"))
                .containsExactly("indent.yaml:7:4: bad indentation: \"protocol: http\" is indented 3 spaces, which"
                        + " lines up with none of the fields above it, expected 2 spaces like line 6");
        assertThat(syntaxErrors("deeper.yaml", "  protocol: http\n    endpoints: [{address: 10.0.0.1:80}]\n"))
                .containsExactly("deeper.yaml:7:5: bad indentation: \"endpoints: [{address: 10.0.0.1:80}]\" is"
                        + " indented 4 spaces, under line 6 which already has a value, expected 2 spaces like that"
                        + " line (a field of the same mapping)");
        assertThat(syntaxErrors("tab.yaml", "\tendpoints: [{address: 10.0.0.1:80}]\n"))
                .containsExactly("tab.yaml:6:1: a tab character, expected spaces: YAML indents and separates with"
                        + " spaces only");
        assertThat(syntaxErrors("quote.yaml", "  protocol: \"http\n  endpoints: [{address: 10.0.0.1:80}]\n"))
                .containsExactly("quote.yaml:6:13: a value opened with \" is never closed, expected a closing \" at"
                        + " its end");
        assertThat(syntaxErrors("bracket.yaml", "  endpoints: [{address: 10.0.0.1:80}\n  protocol: http\n"))
                .containsExactly("bracket.yaml:6:14: a list opened with '[' is never closed, expected ']' at its"
                        + " end");
        // The parser gives up a line later ("could not find expected ':'" at line 8): the mistake is line 7.
        assertThat(syntaxErrors("colon.yaml", "  endpoints: [{address: 10.0.0.1:80}]\n  protocol http\n"))
                .containsExactly("colon.yaml:7:3: \"protocol http\" has no ':' after a field name, expected"
                        + " \"name: value\" (a colon and a space)");
        assertThat(syntaxErrors("colon-above.yaml", "  protocol http\n  endpoints: [{address: 10.0.0.1:80}]\n"))
                .containsExactly("colon-above.yaml:6:3: \"protocol http\" has no ':' after a field name, expected"
                        + " \"name: value\" (a colon and a space)");
    }
}
