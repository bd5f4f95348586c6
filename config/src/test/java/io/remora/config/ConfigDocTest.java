package io.remora.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.lang.reflect.RecordComponent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** docs/CONFIG.md stays in step with the model: every field, variable, enum value and default is documented. */
class ConfigDocTest {
    private static final Path DOC = Path.of("..", "docs", "CONFIG.md");
    private static final List<Class<?>> RECORDS = List.of(Metadata.class,
            Sidecar.Spec.class, Sidecar.Inbound.class, Sidecar.Outbound.class, Sidecar.Capture.class,
            Sidecar.Upstream.class, Sidecar.Limits.class, Sidecar.Tls.class, Sidecar.Mtls.class,
            Sidecar.ControlPlane.class, Sidecar.Tracing.class,
            Service.Spec.class, Service.Endpoint.class, Service.Subset.class, Service.TrafficPolicy.class,
            Service.CircuitBreaker.class, Service.OutlierDetection.class, Service.RetryBudget.class,
            Route.Spec.class, Route.Rule.class, Route.Match.class, Route.StringMatch.class, Route.Backend.class,
            Route.Retries.class, Route.Backoff.class, Route.Fault.class, Route.Abort.class, Route.Delay.class,
            Route.RateLimit.class, AuthorizationPolicy.Spec.class, AuthorizationPolicy.Rule.class,
            AuthorizationPolicy.Source.class, AuthorizationPolicy.Operation.class);

    private static String doc() throws IOException {
        return Files.readString(DOC);
    }

    @Test
    void everyFieldOfEveryRecordIsDocumented() throws IOException {
        String doc = doc();
        for (Class<?> type : RECORDS) {
            for (RecordComponent component : type.getRecordComponents()) {
                Pattern documented = Pattern.compile("`([\\w.\\[\\]]*\\.)?" + component.getName() + "`");
                assertThat(documented.matcher(doc).find())
                        .as("%s.%s is documented", type.getSimpleName(), component.getName())
                        .isTrue();
            }
        }
    }

    @Test
    void everyEnvironmentVariableAndEnumValueIsDocumented() throws IOException {
        String doc = doc();
        for (String variable : ConfigLoader.envVariables()) {
            assertThat(doc).contains("`" + variable + "`");
        }
        for (String variable : ConfigLoader.NON_CONFIG_ENV) {
            assertThat(doc).contains("`" + variable + "`");
        }
        for (Enum<?> value : List.<Enum<?>>of(Protocol.HTTP, Protocol.HTTP2, Protocol.GRPC, Protocol.TCP,
                LoadBalancer.LEAST_REQUEST, LoadBalancer.ROUND_ROBIN, MtlsMode.STRICT, MtlsMode.PERMISSIVE,
                MtlsMode.DISABLE, IoTransport.AUTO, IoTransport.IO_URING, IoTransport.EPOLL, IoTransport.NIO)) {
            assertThat(doc).contains("`" + Scalars.name(value) + "`");
        }
        for (Enum<?> value : RetryOn.values()) {
            assertThat(doc).contains("`" + Scalars.name(value) + "`");
        }
        for (Enum<?> value : GrpcStatus.values()) {
            if (value != GrpcStatus.OK) {
                assertThat(doc).contains("`" + Scalars.name(value) + "`");
            }
        }
    }

    @Test
    void everyAccessLogFieldIsInTheFieldTableInOrderWithItsEnvoyOperators() throws IOException {
        String doc = doc();
        String table = doc.substring(doc.indexOf("### Access-log fields"), doc.indexOf("## Service"));
        int last = -1;
        for (AccessLogField field : AccessLogField.values()) {
            int row = table.indexOf("\n| `" + field.jsonName() + "` |");
            assertThat(row).as("%s has a row", field.jsonName()).isGreaterThan(last);
            String line = table.substring(row + 1, table.indexOf('\n', row + 1));
            for (String operator : field.envoyOperators()) {
                assertThat(line).contains("`" + operator + "`");
            }
            last = row;
        }
    }

    @Test
    void defaultsInTheDocMatchDefaultsJava() throws IOException {
        String doc = doc();
        for (HostPort address : List.of(Defaults.ADMIN, Defaults.METRICS, Defaults.HEALTH, Defaults.INBOUND,
                Defaults.CAPTURE, Defaults.APP)) {
            assertThat(doc).contains("| `" + address + "` |");
        }
        for (int value : new int[] {Defaults.THREADS, Defaults.MAX_CONCURRENT_STREAMS, Defaults.WEIGHT}) {
            assertThat(doc).contains("| `" + value + "` |");
        }
        assertThat(doc).contains("| `" + Defaults.MAX_REQUEST_LINE_BYTES + "` (16 KiB) |");
        assertThat(doc).contains("| `" + Defaults.MAX_HEADER_BYTES + "` (64 KiB) |");
        assertThat(doc).contains("| `" + Defaults.SERVER_FIRST_PORTS + "` |");
        assertThat(doc).contains("| `" + Durations.format(Defaults.DRAIN_TIME) + "` |");
        assertThat(doc).contains("| `" + Durations.format(Defaults.DOWNSTREAM_IDLE_TIMEOUT) + "` |");
        assertThat(doc).contains("| `" + Durations.format(Defaults.CONNECT_TIMEOUT) + "` |");
        assertThat(doc).contains("| `" + Defaults.UPSTREAM_IDLE_TIMEOUT.toSeconds() + "s` |");
        assertThat(doc).contains("| `" + Defaults.ACCESS_LOG + "` |");
        for (java.time.Duration d : List.of(Defaults.ROUTE_TIMEOUT, Defaults.RETRY_BACKOFF_BASE,
                Defaults.RETRY_BACKOFF_MAX, Defaults.RETRY_BUDGET_WINDOW, Defaults.OUTLIER_INTERVAL,
                Defaults.OUTLIER_BASE_EJECTION_TIME, Defaults.OUTLIER_MAX_EJECTION_TIME,
                Defaults.RATE_LIMIT_FILL_INTERVAL)) {
            assertThat(doc).contains("| `" + Durations.format(d) + "` |");
        }
        for (int value : new int[] {Defaults.RETRY_ATTEMPTS, Defaults.MAX_CONNECTIONS, Defaults.MAX_RETRIES,
                Defaults.OUTLIER_CONSECUTIVE_GATEWAY_ERRORS, Defaults.OUTLIER_MAX_EJECTION_PERCENT,
                Defaults.OUTLIER_MIN_HEALTH_PERCENT, Defaults.RETRY_BUDGET_PERCENT,
                Defaults.RETRY_BUDGET_MIN_RETRIES_PER_SECOND, Defaults.FAULT_ABORT_STATUS}) {
            assertThat(doc).contains("| `" + value + "` |");
        }
        assertThat(doc).contains("| DNS-1123 label | `" + Defaults.NAMESPACE + "` |");
        assertThat(doc).contains("| `" + Defaults.TRACING_SAMPLING + "` |");
        assertThat(doc).contains("| `" + Defaults.TRACING_MAX_QUEUE_SIZE + "` |");
        assertThat(doc).contains("| `" + Defaults.TRACING_MAX_BATCH_SIZE + "` |");
        assertThat(doc).contains("| `" + Durations.format(Defaults.TRACING_BATCH_INTERVAL) + "` |");
    }

    @Test
    void fullExampleIsValidAndShowsACanaryAndAHeaderMatch() throws Exception {
        String doc = doc();
        String section = doc.substring(doc.indexOf("## Full example"));
        int start = section.indexOf("```yaml\n") + "```yaml\n".length();
        String yaml = section.substring(start, section.indexOf("\n```", start) + 1);

        Snapshot snapshot = ConfigLoader.parse("CONFIG.md", yaml, Map.of());

        assertThat(snapshot.sidecar()).isNotNull();
        assertThat(snapshot.services()).hasSize(2).allSatisfy(s -> assertThat(s.spec().subsets()).isNotEmpty());
        List<Route.Rule> rules = snapshot.routes().get(0).spec().rules();
        assertThat(rules).anySatisfy(rule -> assertThat(rule.matches())
                .anySatisfy(match -> assertThat(match.headers()).isNotEmpty()));
        assertThat(rules).anySatisfy(rule -> assertThat(rule.backends())
                .extracting(Route.Backend::weight).containsExactly(90, 10));
    }
}
