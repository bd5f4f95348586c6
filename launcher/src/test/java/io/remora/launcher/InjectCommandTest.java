package io.remora.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.zjsonpatch.JsonPatch;
import io.remora.certs.CertificateAuthority;
import io.remora.injector.Injector;
import io.remora.injector.InjectorServer;
import io.remora.injector.MeshSettings;
import io.remora.injector.ServingTls;
import io.remora.injector.TlsClient;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;
import picocli.CommandLine;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** {@code remora inject} through the picocli entry point, and against the webhook for the same pod. */
class InjectCommandTest {
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final String DEPLOYMENT = """
            # the shop's web tier
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: web
              namespace: shop
            spec:
              selector: {matchLabels: {app: web}}
              template:
                metadata:
                  labels: {app: web}
                spec:
                  containers:
                    - name: web
                      image: nginx:1.27
                      ports: [{name: http, containerPort: 8080}]
            """;
    private static final String CONFIG_MAP = """
            ---
            apiVersion: v1   # untouched, comments and all
            kind: ConfigMap
            metadata: {name: web, namespace: shop}
            data: {greeting: 'hello'}
            """;

    @TempDir
    Path dir;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(InputStream stdin, String... args) {
        // The real entry point's command tree; only standard input is the test's.
        CommandLine.IFactory factory = new CommandLine.IFactory() {
            @Override
            @SuppressWarnings("unchecked")
            public <K> K create(Class<K> cls) throws Exception {
                return cls == InjectCommand.class ? (K) new InjectCommand(stdin)
                        : CommandLine.defaultFactory().create(cls);
            }
        };
        CommandLine root = Remora.commandLine(factory, args);
        root.setOut(new PrintWriter(out));
        root.setErr(new PrintWriter(err));
        return root.execute(args);
    }

    private int run(String... args) {
        return run(new ByteArrayInputStream(new byte[0]), args);
    }

    private static List<JsonNode> trees(String yaml) {
        List<JsonNode> docs = new ArrayList<>();
        new Load(LoadSettings.builder().build()).loadAllFromString(yaml).forEach(d -> docs.add(JSON.valueToTree(d)));
        return docs;
    }

    @Test
    void aDeploymentIsInjectedAndOtherDocumentsPassThroughUnchanged() throws Exception {
        Path file = Files.writeString(dir.resolve("web.yaml"), DEPLOYMENT + CONFIG_MAP);

        int status = run("inject", "-f", file.toString());

        assertThat(status).isZero();
        assertThat(err.toString()).isEmpty();
        String printed = out.toString();
        assertThat(printed).startsWith("# the shop's web tier\n").endsWith(CONFIG_MAP);
        JsonNode pod = trees(printed).get(0).path("spec").path("template");
        assertThat(pod.path("spec").path("initContainers").get(1).path("name").stringValue())
                .isEqualTo("remora-proxy");
        assertThat(pod.path("metadata").path("labels").path("security.remora.io/tlsMode").stringValue())
                .isEqualTo("remora");
    }

    @Test
    void standardInputInAndUninjectGivesTheManifestsBack() throws Exception {
        byte[] manifests = (DEPLOYMENT + CONFIG_MAP).getBytes(StandardCharsets.UTF_8);
        assertThat(run(new ByteArrayInputStream(manifests), "inject", "-f", "-")).isZero();
        String injected = out.toString();
        out.getBuffer().setLength(0);

        assertThat(run(new ByteArrayInputStream(injected.getBytes(StandardCharsets.UTF_8)),
                "inject", "--uninject", "-f", "-")).isZero();

        assertThat(trees(out.toString())).isEqualTo(trees(DEPLOYMENT + CONFIG_MAP));
    }

    @Test
    void invalidYamlIsReportedAtItsLineAndColumn() throws Exception {
        Path file = Files.writeString(dir.resolve("bad.yaml"), "apiVersion: v1\nkind: Pod\nmetadata: {name: [x\n");

        int status = run("inject", "-f", file.toString());

        assertThat(status).isEqualTo(1);
        assertThat(out.toString()).isEmpty();
        assertThat(err.toString()).matches(java.util.regex.Pattern.quote(file.toString())
                + ":4:1: YAML syntax error: .*\\R");
        assertThat(err.toString().lines().count()).isEqualTo(1);
    }

    @Test
    void tracingFlagsGoOnEveryProxyAndBadOnesAreUsageErrors() throws Exception {
        Path file = Files.writeString(dir.resolve("web.yaml"), DEPLOYMENT);

        assertThat(run("inject", "--tracing-collector", "http://otel-collector.observability:4318",
                "--tracing-sampling", "2.5", "-f", file.toString())).isZero();
        JsonNode proxy = trees(out.toString()).get(0).path("spec").path("template").path("spec")
                .path("initContainers").get(1);
        assertThat(proxy.path("env").toString())
                .contains("{\"name\":\"REMORA_TRACING_COLLECTOR\",\"value\":\"http://otel-collector.observability:4318\"}")
                .contains("{\"name\":\"REMORA_TRACING_SAMPLING\",\"value\":\"2.5\"}");

        assertThat(run("inject", "--tracing-sampling", "150", "-f", file.toString())).isEqualTo(2);
        assertThat(err.toString()).isEqualTo("remora inject: --tracing-sampling 150: expected a percentage 0-100 like"
                + " 1 or 0.5\n");
        err.getBuffer().setLength(0);
        assertThat(run("inject", "--tracing-collector", "otel:4318", "-f", file.toString())).isEqualTo(2);
        assertThat(err.toString()).startsWith("remora inject: --tracing-collector otel:4318: expected an OTLP/HTTP URL");
    }

    @Test
    void aMissingFileIsOneLine() {
        assertThat(run("inject", "-f", dir.resolve("none.yaml").toString())).isEqualTo(1);
        assertThat(err.toString()).isEqualTo("remora inject: " + dir.resolve("none.yaml")
                + ": no such file; give -f an existing file or - for stdin\n");
    }

    @Test
    void theWebhooksPatchGivesWhatRemoraInjectPrints() throws Exception {
        byte[] review;
        try (InputStream in = getClass().getResourceAsStream("/admission/pod-create.json")) {
            review = in.readAllBytes();
        }
        CertificateAuthority root = CertificateAuthority.createRoot("cluster.local", Duration.ofDays(1),
                Clock.systemUTC());
        String service = "remora-injector.remora-system.svc";
        ServingTls tls = new ServingTls(root, List.of(root.certificate()), List.of(service), Duration.ofHours(1),
                Clock.systemUTC());
        InetSocketAddress any = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        // The settings remora inject uses without flags.
        Injector injector = new Injector(MeshSettings.defaults(MeshOptions.version()));
        JsonNode patched;
        try (InjectorServer server = InjectorServer.start(new InjectorServer.Options(any, any, injector, tls,
                1 << 20, null, null))) {
            TlsClient.Response r = TlsClient.post(server.webhookAddress(), service, List.of(root.certificate()),
                    "/inject", review);
            JsonNode response = JSON.readTree(r.body()).path("response");
            JsonNode patch = JSON.readTree(Base64.getDecoder().decode(response.path("patch").stringValue()));
            patched = JsonPatch.apply(patch, JSON.readTree(review).path("request").path("object"));
        }
        // JSON is YAML: the same pod, as a file.
        Path pod = Files.writeString(dir.resolve("pod.json"),
                JSON.readTree(review).path("request").path("object").toString());

        assertThat(run("inject", "-f", pod.toString())).isZero();

        assertThat(trees(out.toString())).containsExactly(patched);
    }
}
