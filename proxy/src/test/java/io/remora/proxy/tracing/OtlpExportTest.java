package io.remora.proxy.tracing;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.Span;
import io.remora.config.Metadata;
import io.remora.config.Sidecar;
import io.remora.proxy.ProxyEnvironment;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * What {@link Tracing} sends a real OTLP/HTTP collector: one sidecar's inbound span and the outbound span of the call
 * its app makes while serving it, as the collector decodes them.
 */
class OtlpExportTest {
    private static final String TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
    private static final String CALLER_SPAN = "00f067aa0ba902b7";

    private static Sidecar sidecar(String collector) {
        return new Sidecar(Metadata.of("web", "shop"), new Sidecar.Spec(null, 1, null, null, null, null, null, null,
                false, null, null, null, null, null, new Sidecar.Tracing(100.0, collector, 0, 0, Duration.ofMillis(50)),
                null));
    }

    @Test
    void theCollectorGetsBothSpansOfAHopLinkedToTheCallersSpan() throws Exception {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        try (OtlpReceiver collector = new OtlpReceiver()) {
            Tracing tracing = Tracing.create(sidecar(collector.collector()), "spiffe://cluster.local/ns/shop/sa/web",
                    registry, ProxyEnvironment.seeded(3));
            long start = System.nanoTime();

            // Another sidecar calls this one: the inbound span continues its trace...
            HttpHeaders inbound = new DefaultHttpHeaders().add("traceparent", "00-" + TRACE + "-" + CALLER_SPAN + "-01");
            RequestSpan server = tracing.startServer(inbound, "GET", "web.shop:8080", "/orders/7", "1.1", start);
            server.routed("web.shop.svc.cluster.local:8080/*", "inbound", "inbound|8080|http");
            server.inject(inbound);
            // ...and the app, serving it, calls payments with the context it was given.
            HttpHeaders outbound = new DefaultHttpHeaders().add("traceparent", inbound.get("traceparent"));
            RequestSpan client = tracing.startClient(outbound, "POST", "payments.shop:8080", "/pay", "2",
                    System.nanoTime());
            client.routed("payments.shop.svc.cluster.local:8080/*", "payments/default", "payments.shop");
            client.retry(2, "connect-failure", System.nanoTime());
            client.inject(outbound);
            client.end(201, "-", System.nanoTime());
            server.end(200, "-", System.nanoTime());

            List<Span> spans = collector.awaitSpans(2, Duration.ofSeconds(10));
            tracing.close();

            Span serverSpan = byKind(spans, Span.SpanKind.SPAN_KIND_SERVER);
            Span clientSpan = byKind(spans, Span.SpanKind.SPAN_KIND_CLIENT);
            assertThat(hex(serverSpan.getTraceId())).isEqualTo(TRACE);
            assertThat(hex(clientSpan.getTraceId())).isEqualTo(TRACE);
            assertThat(hex(serverSpan.getParentSpanId())).isEqualTo(CALLER_SPAN);
            assertThat(clientSpan.getParentSpanId()).as("the app's call is a child of the inbound span")
                    .isEqualTo(serverSpan.getSpanId());
            assertThat(outbound.get("traceparent")).isEqualTo("00-" + TRACE + "-" + hex(clientSpan.getSpanId()) + "-01");
            assertThat(serverSpan.getName()).isEqualTo("web.shop.svc.cluster.local:8080/*");
            assertThat(clientSpan.getName()).isEqualTo("payments.shop.svc.cluster.local:8080/*");
            assertThat(attributes(serverSpan)).containsEntry("http.request.method", "GET")
                    .containsEntry("url.path", "/orders/7")
                    .containsEntry("server.address", "web.shop")
                    .containsEntry("server.port", "8080")
                    .containsEntry("http.response.status_code", "200")
                    .containsEntry("upstream_cluster", "inbound|8080|http")
                    .containsEntry("destination.principal", "spiffe://cluster.local/ns/shop/sa/web");
            assertThat(attributes(clientSpan)).containsEntry("http.request.method", "POST")
                    .containsEntry("network.protocol.version", "2")
                    .containsEntry("http.response.status_code", "201")
                    .containsEntry("route_name", "payments/default")
                    .containsEntry("http.request.resend_count", "1");
            assertThat(clientSpan.getEventsList()).singleElement()
                    .satisfies(e -> assertThat(e.getName()).isEqualTo("retry"));
            assertThat(clientSpan.getStartTimeUnixNano()).isBetween(serverSpan.getStartTimeUnixNano(),
                    serverSpan.getEndTimeUnixNano());
            assertThat(collector.requests().get(0).getResourceSpans(0).getResource().getAttributesList())
                    .extracting(KeyValue::getKey, kv -> kv.getValue().getStringValue())
                    .contains(org.assertj.core.groups.Tuple.tuple("service.name", "web.shop"));
            assertThat(collector.contentTypes()).allMatch("application/x-protobuf"::equals);
            assertThat(registry.scrape()).contains("remora_tracing_spans_exported_total 2.0")
                    .contains("remora_tracing_spans_dropped_total 0.0");
        }
    }

    private static Span byKind(List<Span> spans, Span.SpanKind kind) {
        return spans.stream().filter(s -> s.getKind() == kind).findFirst().orElseThrow();
    }

    private static String hex(ByteString bytes) {
        return HexFormat.of().formatHex(bytes.toByteArray());
    }

    private static Map<String, String> attributes(Span span) {
        return span.getAttributesList().stream().collect(Collectors.toMap(KeyValue::getKey, kv -> text(kv.getValue())));
    }

    private static String text(AnyValue value) {
        return value.hasIntValue() ? Long.toString(value.getIntValue()) : value.getStringValue();
    }
}
