package io.remora.proxy.tracing;

import com.google.protobuf.ByteString;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.Span;
import io.remora.config.testing.TestMesh;
import io.remora.proxy.ProxyServer;
import io.remora.proxy.it.edge.Edge;
import io.remora.proxy.testing.HttpTestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A request through two sidecars (the caller's outbound, the app's inbound) with tracing on, exported to a real
 * OTLP/HTTP receiver that decodes the protobuf: one CLIENT span on the first sidecar and one SERVER span on the
 * second, one trace, each the child of the hop before it; a W3C and a B3 caller both join their traces; a caller
 * that decided not to sample is not recorded and its context still reaches the app.
 */
@Timeout(60)
class TracingEndToEndTest {
    private static final String TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
    private static final String CALLER_SPAN = "00f067aa0ba902b7";

    private final HttpClient client = HttpClient.newHttpClient();
    private OtlpReceiver collector;
    private HttpTestServer app;
    private ProxyServer server;
    private ProxyServer caller;

    private TestMesh.SidecarDoc sidecar(String name) {
        return TestMesh.sidecar(name, "test")
                .set("tracing", "{sampling: 100, collector: " + collector.collector() + ", batchInterval: 50ms}");
    }

    @BeforeEach
    void start() throws Exception {
        collector = new OtlpReceiver();
        app = new HttpTestServer("app");
        server = Edge.start(TestMesh.of(sidecar("server").inbound(TestMesh.loopback(app.port()), "http")));
        caller = Edge.start(TestMesh.of(sidecar("caller").upstream("svc.test"),
                TestMesh.service("svc", "test").protocol("http")
                        .endpoints(TestMesh.loopback(server.inboundAddress().getPort()))));
    }

    @AfterEach
    void stop() {
        if (caller != null) {
            caller.close();
        }
        if (server != null) {
            server.close();
        }
        app.close();
        collector.close();
    }

    private HttpResponse<String> get(String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                + caller.upstreamAddress("svc.test").getPort() + "/items/42")).timeout(Duration.ofSeconds(10));
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void aW3cRequestYieldsOneSpanPerSidecarInOneTraceEachTheChildOfTheHopBefore() throws Exception {
        HttpResponse<String> res = get("traceparent", "00-" + TRACE + "-" + CALLER_SPAN + "-01");
        assertThat(res.statusCode()).isEqualTo(200);
        List<Span> spans = collector.awaitSpans(2, Duration.ofSeconds(10));
        assertThat(spans).hasSize(2);
        Span out = byKind(spans, Span.SpanKind.SPAN_KIND_CLIENT);
        Span in = byKind(spans, Span.SpanKind.SPAN_KIND_SERVER);
        assertThat(hex(out.getTraceId())).isEqualTo(TRACE);
        assertThat(hex(in.getTraceId())).isEqualTo(TRACE);
        assertThat(hex(out.getParentSpanId())).as("the caller's sidecar is a child of the caller")
                .isEqualTo(CALLER_SPAN);
        assertThat(in.getParentSpanId()).as("the app's sidecar is a child of the caller's sidecar")
                .isEqualTo(out.getSpanId());
        // The app is told the inbound span as its parent.
        String seen = app.lastRequest().headers().get("traceparent");
        assertThat(seen).isEqualTo("00-" + TRACE + "-" + hex(in.getSpanId()) + "-01");
        Map<String, String> a = attributes(out);
        assertThat(a).containsEntry("http.request.method", "GET").containsEntry("http.response.status_code", "200")
                .containsEntry("response_flags", "-").containsEntry("url.path", "/items/42");
        assertThat(a.get("upstream_cluster")).isNotBlank();
        assertThat(out.getName()).as("named by the config, never the raw path").doesNotContain("42");
        assertThat(in.getName()).doesNotContain("42");
    }

    @Test
    void aB3RequestJoinsItsTrace() throws Exception {
        String b3Trace = "463ac35c9f6413ad48485a3953bb6124";
        get("x-b3-traceid", b3Trace, "x-b3-spanid", "a2fb4a1d1a96d312", "x-b3-sampled", "1");
        List<Span> spans = collector.awaitSpans(2, Duration.ofSeconds(10));
        assertThat(spans).extracting(s -> hex(s.getTraceId())).containsOnly(b3Trace);
        assertThat(hex(byKind(spans, Span.SpanKind.SPAN_KIND_CLIENT).getParentSpanId()))
                .isEqualTo("a2fb4a1d1a96d312");
        assertThat(app.lastRequest().headers().get("x-b3-traceid")).isEqualTo(b3Trace);
    }

    @Test
    void aSampledOutRequestIsNotRecordedAndItsContextStillReachesTheApp() throws Exception {
        String parent = "00-" + TRACE + "-" + CALLER_SPAN + "-00";
        assertThat(get("traceparent", parent).statusCode()).isEqualTo(200);
        // A sampled request after it flushes whatever the first would have exported.
        get("traceparent", "00-" + TRACE.replace('4', '5') + "-" + CALLER_SPAN + "-01");
        List<Span> spans = collector.awaitSpans(2, Duration.ofSeconds(10));
        Thread.sleep(200);
        assertThat(collector.spans()).hasSize(2);
        assertThat(spans).extracting(s -> hex(s.getTraceId())).doesNotContain(TRACE);
        assertThat(app.seenUris()).hasSize(2);
    }

    @Test
    void aMalformedTraceparentIsReplacedNotForwardedHalfParsed() throws Exception {
        get("traceparent", "ff-" + TRACE + "-" + CALLER_SPAN + "-01");
        List<Span> spans = collector.awaitSpans(2, Duration.ofSeconds(10));
        String trace = hex(spans.get(0).getTraceId());
        assertThat(trace).isNotEqualTo(TRACE);
        assertThat(spans).extracting(s -> hex(s.getTraceId())).containsOnly(trace);
        assertThat(app.lastRequest().headers().get("traceparent")).startsWith("00-" + trace + "-");
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
