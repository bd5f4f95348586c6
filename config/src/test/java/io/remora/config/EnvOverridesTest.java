package io.remora.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code REMORA_*} environment overrides of the Sidecar spec. */
class EnvOverridesTest {
    private static final String NO_INBOUND = """
            apiVersion: remora.io/v1
            kind: Sidecar
            metadata: {name: web, namespace: shop}
            spec:
              threads: 1
            """;

    @Test
    void overridesWinOverTheFile() throws Exception {
        Map<String, String> env = Map.of(
                "REMORA_THREADS", "4",
                "REMORA_ACCESS_LOG", "false",
                "REMORA_DRAIN_TIME", "10s",
                "REMORA_INBOUND_APP", "127.0.0.1:9090",
                "REMORA_OUTBOUND_CAPTURE_ENABLED", "true",
                "REMORA_LIMITS_MAX_HEADER_BYTES", "32768");

        Sidecar sidecar = ConfigLoader.parse("example.yaml", ExampleConfigTest.example(), env).sidecar();

        Sidecar.Spec spec = sidecar.spec();
        assertThat(sidecar.metadata().qualifiedName()).isEqualTo("web.shop");
        assertThat(spec.threads()).isEqualTo(4);
        assertThat(spec.accessLog()).isFalse();
        assertThat(spec.drainTime()).isEqualTo(Duration.ofSeconds(10));
        assertThat(spec.inbound()).isEqualTo(new Sidecar.Inbound(
                new HostPort("0.0.0.0", 15006), new HostPort("127.0.0.1", 9090), Protocol.HTTP));
        assertThat(spec.outbound().capture()).isEqualTo(new Sidecar.Capture(true, Defaults.CAPTURE));
        assertThat(spec.outbound().upstreams()).hasSize(1);
        assertThat(spec.limits().maxHeaderBytes()).isEqualTo(32768);
        assertThat(spec.admin()).isEqualTo(new HostPort("127.0.0.1", 15000));
    }

    @Test
    void anInboundVariableCreatesTheInboundBlockWithDefaults() throws Exception {
        Sidecar.Spec spec = ConfigLoader.parse("s.yaml", NO_INBOUND, Map.of("REMORA_INBOUND_APP_PROTOCOL", "http2"))
                .sidecar().spec();

        assertThat(spec.inbound()).isEqualTo(new Sidecar.Inbound(Defaults.INBOUND, Defaults.APP, Protocol.HTTP2));
        assertThat(spec.threads()).isEqualTo(1);
    }

    @Test
    void withoutASidecarInTheFilesAnOverrideCreatesTheDefaultOne() throws Exception {
        Snapshot snapshot = ConfigLoader.parse("empty.yaml", "", Map.of("REMORA_ADMIN", "127.0.0.1:0"));

        assertThat(snapshot.sidecar().metadata()).isEqualTo(Metadata.of("sidecar", Defaults.NAMESPACE));
        assertThat(snapshot.sidecar().spec().admin()).isEqualTo(new HostPort("127.0.0.1", 0));
        assertThat(snapshot.sidecar().spec().accessLog()).isTrue();
        assertThat(ConfigLoader.parse("empty.yaml", "", Map.of()).sidecar()).isNull();
    }

    @Test
    void badValuesAndUnknownSettingsAreReportedAgainstTheVariable() {
        Map<String, String> env = Map.of(
                "REMORA_DRAIN_TIME", "10",
                "REMORA_THREADS", "-1",
                "REMORA_TREADS", "2",
                "REMORA_JAVA_OPTS", "-Xmx64m",
                "REMORA_HOME", "/opt/remora",
                "PATH", "/usr/bin");

        assertThat(Errors.of(NO_INBOUND, env)).containsExactly(
                "env: REMORA_DRAIN_TIME: got \"10\", expected a duration like 250ms, 2s, 1m",
                "env: REMORA_THREADS: got \"-1\", expected an integer 0-64 (0 means one per core)",
                "env: REMORA_TREADS: unknown setting REMORA_TREADS, expected one of: "
                        + String.join(", ", ConfigLoader.envVariables()) + "; did you mean 'REMORA_THREADS'?");
    }

    @Test
    void theTransportIsChosenByNameInEitherSpelling() throws Exception {
        assertThat(ConfigLoader.parse("s.yaml", NO_INBOUND, Map.of()).sidecar().spec().transport())
                .isEqualTo(IoTransport.AUTO);
        for (String name : new String[] {"io-uring", "io_uring", "IO_URING"}) {
            assertThat(ConfigLoader.parse("s.yaml", NO_INBOUND, Map.of("REMORA_TRANSPORT", name)).sidecar().spec()
                    .transport()).isEqualTo(IoTransport.IO_URING);
        }
        assertThat(Errors.of(NO_INBOUND, Map.of("REMORA_TRANSPORT", "uring"))).containsExactly(
                "env: REMORA_TRANSPORT: got \"uring\", expected one of: auto, io-uring, epoll, nio");
    }

    @Test
    void errorsInOverriddenFieldsNameTheVariable() {
        assertThat(Errors.of(NO_INBOUND, Map.of("REMORA_METRICS", "127.0.0.1:15000", "REMORA_INBOUND_APP", "10.0.0.1:0")))
                .containsExactly(
                        "env: REMORA_METRICS: got \"127.0.0.1:15000\", already bound by spec.admin (127.0.0.1:15000,"
                                + " the default); expected a different port for each listener",
                        "env: REMORA_INBOUND_APP: got \"10.0.0.1:0\", expected a port 1-65535 (port 0 is only for"
                                + " listen addresses)");
    }

    @Test
    void emptyValuesAndOtherVariablesAreIgnored() throws Exception {
        Snapshot plain = ConfigLoader.parse("s.yaml", NO_INBOUND, Map.of());
        Snapshot withNoise = ConfigLoader.parse("s.yaml", NO_INBOUND,
                Map.of("REMORA_THREADS", "", "REMORA_HOME", "/opt/remora", "HOME", "/root"));

        assertThat(withNoise).isEqualTo(plain);
    }

    @Test
    void appliedOverridesChangeTheVersion() throws Exception {
        String plain = ConfigLoader.parse("s.yaml", NO_INBOUND, Map.of()).version();
        String four = ConfigLoader.parse("s.yaml", NO_INBOUND, Map.of("REMORA_THREADS", "4")).version();
        String eight = ConfigLoader.parse("s.yaml", NO_INBOUND, Map.of("REMORA_THREADS", "8")).version();

        assertThat(four).isNotEqualTo(plain).isNotEqualTo(eight);
    }

    @Test
    void everyScalarFieldOfTheSidecarSpecHasAVariable() {
        assertThat(ConfigLoader.envVariables()).containsExactly(
                "REMORA_WORKLOAD",
                "REMORA_THREADS",
                "REMORA_INBOUND_LISTEN",
                "REMORA_INBOUND_APP",
                "REMORA_INBOUND_APP_PROTOCOL",
                "REMORA_INBOUND_TLS_CERTIFICATE",
                "REMORA_INBOUND_TLS_PRIVATE_KEY",
                "REMORA_OUTBOUND_CAPTURE_ENABLED",
                "REMORA_OUTBOUND_CAPTURE_LISTEN",
                "REMORA_ADMIN",
                "REMORA_METRICS",
                "REMORA_HEALTH",
                "REMORA_DRAIN_TIME",
                "REMORA_ACCESS_LOG",
                "REMORA_LIMITS_MAX_REQUEST_LINE_BYTES",
                "REMORA_LIMITS_MAX_HEADER_BYTES",
                "REMORA_LIMITS_MAX_CONCURRENT_STREAMS",
                "REMORA_LIMITS_IDLE_TIMEOUT",
                "REMORA_LIMITS_REQUEST_HEADERS_TIMEOUT",
                "REMORA_LIMITS_MAX_HEADERS",
                "REMORA_LIMITS_PATH_NORMALIZATION_MODE",
                "REMORA_LIMITS_PATH_NORMALIZATION_MERGE_SLASHES",
                "REMORA_LIMITS_PATH_NORMALIZATION_ESCAPED_SLASHES",
                "REMORA_MTLS_MODE",
                "REMORA_MTLS_CERTIFICATE",
                "REMORA_MTLS_PRIVATE_KEY",
                "REMORA_MTLS_TRUST_BUNDLE",
                "REMORA_MTLS_LOCAL_CA_CERTIFICATE",
                "REMORA_MTLS_LOCAL_CA_PRIVATE_KEY",
                "REMORA_MTLS_SERVICE_ACCOUNT",
                "REMORA_MTLS_CERTIFICATE_TTL", "REMORA_CONTROL_PLANE_ADDRESS", "REMORA_CONTROL_PLANE_TOKEN_FILE",
                "REMORA_CONTROL_PLANE_TRUST_BUNDLE", "REMORA_CONTROL_PLANE_IDENTITY", "REMORA_CONTROL_PLANE_STATE_DIR",
                "REMORA_TRACING_SAMPLING", "REMORA_TRACING_COLLECTOR", "REMORA_TRACING_MAX_QUEUE_SIZE",
                "REMORA_TRACING_MAX_BATCH_SIZE", "REMORA_TRACING_BATCH_INTERVAL", "REMORA_TRANSPORT");
    }
}
