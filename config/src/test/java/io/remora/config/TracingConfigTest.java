package io.remora.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The Sidecar's {@code tracing} block: defaults, the collector's URL, and positioned errors for bad values. */
class TracingConfigTest {
    private static String sidecar(String tracing) {
        return """
                apiVersion: remora.io/v1
                kind: Sidecar
                metadata: {name: web, namespace: shop}
                spec:
                """ + tracing;
    }

    private static Sidecar.Tracing load(String tracing) throws ConfigException {
        return ConfigLoader.parse("s.yaml", sidecar(tracing), Map.of()).sidecar().spec().tracing();
    }

    @Test
    void withoutABlockTracingIsOffWithEveryDefault() throws Exception {
        Sidecar.Tracing tracing = load("  threads: 1\n");

        assertThat(tracing.enabled()).isFalse();
        assertThat(tracing.collector()).isNull();
        assertThat(tracing.sampling()).isEqualTo(1.0);
        assertThat(tracing.maxQueueSize()).isEqualTo(Defaults.TRACING_MAX_QUEUE_SIZE);
        assertThat(tracing.maxBatchSize()).isEqualTo(Defaults.TRACING_MAX_BATCH_SIZE);
        assertThat(tracing.batchInterval()).isEqualTo(Defaults.TRACING_BATCH_INTERVAL);
        assertThat(Sidecar.defaults().spec().tracing()).isEqualTo(tracing);
    }

    @Test
    void aCollectorTurnsTracingOnAndGetsTheTracesPathWhenItHasNone() throws Exception {
        Sidecar.Tracing tracing = load("""
                  tracing:
                    collector: http://otel-collector.observability:4318
                    sampling: 12.5
                    maxQueueSize: 100
                    batchInterval: 1s
                """);

        assertThat(tracing.enabled()).isTrue();
        assertThat(tracing.sampling()).isEqualTo(12.5);
        assertThat(tracing.tracesEndpoint()).isEqualTo("http://otel-collector.observability:4318/v1/traces");
        assertThat(tracing.maxBatchSize()).as("the default batch, cut to the queue").isEqualTo(100);
        assertThat(tracing.batchInterval()).isEqualTo(Duration.ofSeconds(1));
        assertThat(load("  tracing: {collector: 'https://c.example/'}\n").tracesEndpoint())
                .isEqualTo("https://c.example/v1/traces");
        assertThat(load("  tracing: {collector: 'http://[::1]:4318/otlp/spans'}\n").tracesEndpoint())
                .isEqualTo("http://[::1]:4318/otlp/spans");
    }

    @Test
    void samplingZeroTurnsTracingOffEvenWithACollector() throws Exception {
        assertThat(load("  tracing: {collector: 'http://c:4318', sampling: 0}\n").enabled()).isFalse();
    }

    @Test
    void badValuesAreReportedAtTheirField() throws Exception {
        var errors = Errors.of(sidecar("""
                  tracing:
                    sampling: 100.5
                    collector: ftp://collector:4318
                    maxQueueSize: 10
                    maxBatchSize: 20
                    batchInterval: 0s
                """));

        assertThat(errors).containsExactlyInAnyOrder(
                "s.yaml:6:15: spec.tracing.sampling: got \"100.5\", expected a percentage 0-100",
                "s.yaml:7:16: spec.tracing.collector: got \"ftp://collector:4318\", expected an OTLP/HTTP URL like"
                        + " http://otel-collector.observability:4318 (http or https, a host, an optional port 1-65535"
                        + " and path; no query)",
                "s.yaml:9:19: spec.tracing.maxBatchSize: got 20, expected at most maxQueueSize (10): a batch is"
                        + " taken from the queue",
                "s.yaml:10:20: spec.tracing.batchInterval: got \"0s\", expected a duration above 0 like 250ms, 2s, 1m");
    }

    @Test
    void malformedCollectorUrlsAreRefused() throws Exception {
        for (String url : new String[] {"collector:4318", "http://", "http://c:0", "http://c:70000", "http://u@c:1",
                "http://c:4318/v1/traces?x=1", "http://c:4318/#f", "http://bad_host:4318", "not a url"}) {
            assertThat(Errors.of(sidecar("  tracing: {collector: '" + url + "'}\n")))
                    .as(url).singleElement().asString().contains("spec.tracing.collector: got");
        }
    }

    @Test
    void typeAndRangeErrorsComeFromTheBinder() throws Exception {
        assertThat(Errors.of(sidecar("  tracing: {sampling: lots, maxQueueSize: 0}\n"))).containsExactlyInAnyOrder(
                "s.yaml:5:23: spec.tracing.sampling: got \"lots\", expected a number like 12 or 0.5",
                "s.yaml:5:43: spec.tracing.maxQueueSize: got \"0\", expected a positive integer");
    }

    @Test
    void theEnvironmentOverridesEveryTracingField() throws Exception {
        Snapshot s = ConfigLoader.parse("s.yaml", sidecar("  threads: 1\n"), Map.of(
                "REMORA_TRACING_COLLECTOR", "http://127.0.0.1:4318",
                "REMORA_TRACING_SAMPLING", "100",
                "REMORA_TRACING_MAX_QUEUE_SIZE", "64",
                "REMORA_TRACING_MAX_BATCH_SIZE", "8",
                "REMORA_TRACING_BATCH_INTERVAL", "200ms"));

        assertThat(s.sidecar().spec().tracing()).isEqualTo(new Sidecar.Tracing(100.0, "http://127.0.0.1:4318", 64, 8,
                Duration.ofMillis(200)));
        assertThat(Errors.of(sidecar("  threads: 1\n"), Map.of("REMORA_TRACING_SAMPLING", "101")))
                .singleElement().asString().contains("REMORA_TRACING_SAMPLING").contains("expected a percentage 0-100");
    }

    @Test
    void copyingASpecWithAnotherMtlsKeepsItsTracing() throws Exception {
        Sidecar.Spec spec = ConfigLoader.parse("s.yaml", sidecar("  tracing: {collector: 'http://c:4318'}\n"),
                Map.of()).sidecar().spec();

        Sidecar.Spec copy = spec.withMtls(new Sidecar.Mtls(MtlsMode.PERMISSIVE, null, null, null));

        assertThat(copy.tracing()).isEqualTo(spec.tracing());
        assertThat(copy.mtls().mode()).isEqualTo(MtlsMode.PERMISSIVE);
    }
}
