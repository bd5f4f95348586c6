package io.remora.proxy.metrics;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.remora.proxy.log.AccessLog;
import io.remora.log.JsonWriter;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

class ProxyMetricsTest {
    private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\\{(.*)})? (\\S+)$");
    private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"");

    private static final Set<String> REQUEST_LABELS = Set.of("reporter", "source_workload",
            "source_workload_namespace", "source_principal", "source_app", "source_version", "destination_workload",
            "destination_workload_namespace", "destination_principal", "destination_app", "destination_version",
            "destination_service",
            "destination_service_name", "destination_service_namespace", "request_protocol", "response_code",
            "grpc_response_status", "response_flags", "connection_security_policy");
    private static final Set<String> TCP_LABELS = Set.of("reporter", "source_workload",
            "source_workload_namespace", "source_principal", "source_app", "source_version", "destination_workload",
            "destination_workload_namespace", "destination_principal", "destination_app", "destination_version",
            "destination_service",
            "destination_service_name", "destination_service_namespace", "connection_security_policy");
    private static final List<String> DURATION_LE = List.of("0.5", "1.0", "5.0", "10.0", "25.0", "50.0", "100.0",
            "250.0", "500.0", "1000.0", "2500.0", "5000.0", "10000.0", "30000.0", "60000.0", "300000.0", "600000.0",
            "1800000.0", "3600000.0", "+Inf");
    private static final List<String> BYTES_LE = List.of("1.0", "10.0", "100.0", "1000.0", "10000.0", "100000.0",
            "1000000.0", "1.0E7", "+Inf");

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final ProxyMetrics metrics = new ProxyMetrics(registry, "web", "shop");

    /** One parsed sample line of the Prometheus text format. */
    private record Sample(String name, Map<String, String> labels, double value) {
    }

    private List<Sample> scrape() {
        List<Sample> samples = new ArrayList<>();
        for (String line : registry.scrape().split("\n")) {
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            Matcher m = SAMPLE.matcher(line);
            assertThat(m.matches()).as("sample line: %s", line).isTrue();
            Map<String, String> labels = new LinkedHashMap<>();
            if (m.group(2) != null) {
                Matcher l = LABEL.matcher(m.group(2));
                while (l.find()) {
                    labels.put(l.group(1), l.group(2));
                }
            }
            samples.add(new Sample(m.group(1), labels, Double.parseDouble(m.group(3))));
        }
        return samples;
    }

    private List<Sample> samples(String name) {
        return scrape().stream().filter(s -> s.name().equals(name)).toList();
    }

    private Set<String> types() {
        Set<String> types = new TreeSet<>();
        for (String line : registry.scrape().split("\n")) {
            if (line.startsWith("# TYPE ")) {
                types.add(line.substring("# TYPE ".length()));
            }
        }
        return types;
    }

    @Test
    void requestMetricsHaveIstioNamesLabelsAndBuckets() {
        RequestMeters meters = metrics.request(Reporter.SOURCE, "payments.shop", "http", 200, "", "-");
        meters.record(3_000_000, 100, 2000);     // 3 ms
        meters.record(700_000_000, 5, 20_000);   // 700 ms

        assertThat(types()).contains("istio_requests_total counter",
                "istio_request_duration_milliseconds histogram",
                "istio_request_bytes histogram",
                "istio_response_bytes histogram");

        Sample total = samples("istio_requests_total").get(0);
        assertThat(total.value()).isEqualTo(2.0);
        assertThat(total.labels()).containsOnlyKeys(REQUEST_LABELS.toArray(new String[0]));
        assertThat(total.labels()).containsAllEntriesOf(Map.ofEntries(
                Map.entry("reporter", "source"),
                Map.entry("source_workload", "web"),
                Map.entry("source_workload_namespace", "shop"),
                Map.entry("source_principal", "unknown"),
                Map.entry("destination_workload", "unknown"),
                Map.entry("destination_workload_namespace", "unknown"),
                Map.entry("destination_principal", "unknown"),
                Map.entry("source_app", "web"),
                Map.entry("source_version", "latest"),
                Map.entry("destination_app", "unknown"),
                Map.entry("destination_version", "unknown"),
                Map.entry("destination_service", "payments.shop.svc.cluster.local"),
                Map.entry("destination_service_name", "payments"),
                Map.entry("destination_service_namespace", "shop"),
                Map.entry("request_protocol", "http"),
                Map.entry("response_code", "200"),
                Map.entry("grpc_response_status", ""),
                Map.entry("response_flags", "-"),
                Map.entry("connection_security_policy", "unknown")));

        List<Sample> durationBuckets = samples("istio_request_duration_milliseconds_bucket");
        assertThat(durationBuckets).extracting(s -> s.labels().get("le")).containsExactlyElementsOf(DURATION_LE);
        assertThat(bucket(durationBuckets, "1.0")).isEqualTo(0);
        assertThat(bucket(durationBuckets, "5.0")).isEqualTo(1);
        assertThat(bucket(durationBuckets, "500.0")).isEqualTo(1);
        assertThat(bucket(durationBuckets, "1000.0")).isEqualTo(2);
        assertThat(bucket(durationBuckets, "+Inf")).isEqualTo(2);
        assertThat(durationBuckets.get(0).labels()).containsEntry("response_code", "200");
        assertThat(samples("istio_request_duration_milliseconds_count").get(0).value()).isEqualTo(2);
        assertThat(samples("istio_request_duration_milliseconds_sum").get(0).value()).isEqualTo(703.0);

        List<Sample> requestBuckets = samples("istio_request_bytes_bucket");
        assertThat(requestBuckets).extracting(s -> s.labels().get("le")).containsExactlyElementsOf(BYTES_LE);
        assertThat(bucket(requestBuckets, "1.0")).isEqualTo(0);
        assertThat(bucket(requestBuckets, "10.0")).isEqualTo(1);
        assertThat(bucket(requestBuckets, "100.0")).isEqualTo(2);
        assertThat(samples("istio_request_bytes_sum").get(0).value()).isEqualTo(105.0);

        List<Sample> responseBuckets = samples("istio_response_bytes_bucket");
        assertThat(responseBuckets).extracting(s -> s.labels().get("le")).containsExactlyElementsOf(BYTES_LE);
        assertThat(bucket(responseBuckets, "1000.0")).isEqualTo(0);
        assertThat(bucket(responseBuckets, "10000.0")).isEqualTo(1);
        assertThat(bucket(responseBuckets, "100000.0")).isEqualTo(2);
        assertThat(samples("istio_response_bytes_count").get(0).value()).isEqualTo(2);
    }

    private static double bucket(List<Sample> buckets, String le) {
        return buckets.stream().filter(s -> le.equals(s.labels().get("le"))).findFirst().orElseThrow().value();
    }

    @Test
    void thePeersLabelsComeFromWhatItsSidecarToldAndItsNamespaceFromItsSpiffeId() {
        ProxyMetrics labelled = new ProxyMetrics(registry, WorkloadLabels.of("hello-v1", "demo",
                Map.of("app", "hello", "version", "v1")), "spiffe://cluster.local/ns/demo/sa/hello");
        labelled.request(Reporter.DESTINATION, "hello.demo", "grpc", 200, "0", "-",
                "spiffe://cluster.local/ns/shop/sa/web", new WorkloadLabels("web", "shop", "web", "v3"))
                .recordMessages(2, 5);
        labelled.tcp(Reporter.SOURCE, "db.data", "spiffe://cluster.local/ns/data/sa/db").opened();
        Map<String, String> labels = samples("istio_requests_total").get(0).labels();
        assertThat(labels).containsEntry("source_workload", "web").containsEntry("source_workload_namespace", "shop")
                .containsEntry("source_app", "web").containsEntry("source_version", "v3")
                .containsEntry("destination_workload", "hello-v1").containsEntry("destination_app", "hello")
                .containsEntry("destination_version", "v1")
                .containsEntry("destination_service", "hello.demo.svc.cluster.local")
                .containsEntry("connection_security_policy", "mutual_tls");
        assertThat(samples("istio_request_messages_total").get(0).value()).isEqualTo(2);
        assertThat(samples("istio_response_messages_total").get(0).value()).isEqualTo(5);
        assertThat(samples("istio_tcp_connections_opened_total").get(0).labels())
                .containsEntry("destination_workload", "unknown")
                .containsEntry("destination_workload_namespace", "data");
    }

    @Test
    void labelValuesAPeerSendsAreBounded() {
        assertThat(new WorkloadLabels("a".repeat(64), "ns", "x y", "v\n").workload()).isEqualTo("unknown");
        assertThat(new WorkloadLabels("w", "ns", "x y", "v1").app()).isEqualTo("unknown");
        assertThat(WorkloadLabels.of("hello-v1", "demo", Map.of("service.istio.io/canonical-name", "hello",
                "app", "other")).app()).isEqualTo("hello");
    }

    @Test
    void destinationReporterLabelsTheLocalWorkloadAsDestination() {
        metrics.request(Reporter.DESTINATION, "payments.shop", "grpc", 200, "14", "UF,URX").record(1, 0, 0);
        Map<String, String> labels = samples("istio_requests_total").get(0).labels();
        assertThat(labels).containsEntry("reporter", "destination")
                .containsEntry("source_workload", "unknown")
                .containsEntry("source_workload_namespace", "unknown")
                .containsEntry("destination_workload", "web")
                .containsEntry("destination_workload_namespace", "shop")
                .containsEntry("connection_security_policy", "none")
                .containsEntry("request_protocol", "grpc")
                .containsEntry("grpc_response_status", "14")
                .containsEntry("response_flags", "UF,URX");
    }

    @Test
    void meterGroupsAreCachedPerLabelCombination() {
        RequestMeters first = metrics.request(Reporter.SOURCE, "payments.shop", "http", 200, "", "-");
        String service = new String("payments.shop".toCharArray()); // equal, not the same instance
        assertThat(metrics.request(Reporter.SOURCE, service, "http", 200, "", "-")).isSameAs(first);
        assertThat(metrics.request(Reporter.SOURCE, "payments.shop", "http", 503, "", "UF")).isNotSameAs(first);
        assertThat(metrics.request(Reporter.DESTINATION, "payments.shop", "http", 200, "", "-"))
                .isNotSameAs(first);
        assertThat(metrics.request(Reporter.SOURCE, "payments.shop", "grpc", 200, "0", "-")).isNotSameAs(first);

        TcpMeters tcp = metrics.tcp(Reporter.SOURCE, "db.data");
        assertThat(metrics.tcp(Reporter.SOURCE, "db.data")).isSameAs(tcp);
        assertThat(metrics.tcp(Reporter.DESTINATION, "db.data")).isNotSameAs(tcp);
        assertThat(metrics.tcp(Reporter.SOURCE, "other.data")).isNotSameAs(tcp);
    }

    @Test
    void unboundedLabelValuesAreFolded() {
        metrics.request(Reporter.SOURCE, null, "HTTP", 1234, "999", "some free text").record(1, 0, 0);
        Map<String, String> labels = samples("istio_requests_total").get(0).labels();
        assertThat(labels).containsEntry("destination_service", "unknown")
                .containsEntry("destination_service_name", "unknown")
                .containsEntry("destination_service_namespace", "unknown")
                .containsEntry("request_protocol", "http")
                .containsEntry("response_code", "0")
                .containsEntry("grpc_response_status", "unknown")
                .containsEntry("response_flags", "unknown");
        assertThat(metrics.request(Reporter.SOURCE, "unknown", "http", -5, "x", "bad flags"))
                .isSameAs(metrics.request(Reporter.SOURCE, "", "http", 5000, "17", "lower"));
    }

    @Test
    void tcpMetricsHaveIstioNamesAndLabels() {
        TcpMeters tcp = metrics.tcp(Reporter.DESTINATION, "db.data");
        tcp.opened();
        tcp.opened();
        tcp.closed();
        tcp.sent(1500);
        tcp.received(300);
        tcp.received(0);

        assertThat(types()).contains("istio_tcp_connections_opened_total counter",
                "istio_tcp_connections_closed_total counter", "istio_tcp_sent_bytes_total counter",
                "istio_tcp_received_bytes_total counter");
        assertThat(samples("istio_tcp_connections_opened_total").get(0).value()).isEqualTo(2);
        assertThat(samples("istio_tcp_connections_closed_total").get(0).value()).isEqualTo(1);
        assertThat(samples("istio_tcp_sent_bytes_total").get(0).value()).isEqualTo(1500);
        Sample received = samples("istio_tcp_received_bytes_total").get(0);
        assertThat(received.value()).isEqualTo(300);
        assertThat(received.labels()).containsOnlyKeys(TCP_LABELS.toArray(new String[0]));
        assertThat(received.labels()).containsEntry("reporter", "destination")
                .containsEntry("destination_service", "db.data.svc.cluster.local")
                .containsEntry("destination_service_name", "db")
                .containsEntry("destination_service_namespace", "data")
                .containsEntry("destination_workload", "web")
                .containsEntry("connection_security_policy", "none");
    }

    @Test
    void accessLogDropsAreExposed() {
        JsonWriter writer = new JsonWriter(new ByteArrayOutputStream());
        writer.close(); // a closed writer takes nothing: every line is dropped
        AccessLog accessLog = new AccessLog(writer, true);
        metrics.registerAccessLogDropped(accessLog);
        io.remora.proxy.log.StreamInfo entry = new io.remora.proxy.log.StreamInfo(0, 0, true, null);
        entry.request("HTTP/1.1", "GET", "a", "/", null, false);
        entry.status(200);
        accessLog.log(entry);
        accessLog.log(entry);
        assertThat(types()).contains("remora_access_log_dropped_total counter");
        assertThat(samples("remora_access_log_dropped_total").get(0).value()).isEqualTo(2);
    }
}
