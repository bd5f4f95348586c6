package io.remora.proxy.tracing;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.remora.config.Metadata;
import io.remora.config.Sidecar;
import io.remora.proxy.ProxyEnvironment;
import io.remora.proxy.policy.Randomness;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;

class TracingTest {
    private static final String TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
    private static final String CALLER_SPAN = "00f067aa0ba902b7";
    private static final Instant NOW = Instant.parse("2026-03-01T12:00:00.000001Z");
    private static final String SELF = "spiffe://cluster.local/ns/shop/sa/web";
    private static final String PEER = "spiffe://cluster.local/ns/shop/sa/frontend";

    private final AtomicLong ticker = new AtomicLong(1_000_000);
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final CollectingExporter exporter = new CollectingExporter();
    private Tracing tracing;

    /** Chance that always says {@code draw} and ids from a seeded sequence. */
    private ProxyEnvironment environment(double draw) {
        Random random = new Random(7) {
            @Override
            public double nextDouble() {
                return draw;
            }
        };
        return new ProxyEnvironment(ticker::get, Clock.fixed(NOW, ZoneOffset.UTC), () -> random);
    }

    private Tracing tracing(double sampling, double draw) {
        Sidecar.Tracing config = new Sidecar.Tracing(sampling, "http://unused:4318", 64, 8, Duration.ofMillis(10));
        tracing = new Tracing(config, "web.shop", SELF, exporter, Duration.ofSeconds(1), registry, environment(draw));
        return tracing;
    }

    private List<SpanData> exported() {
        tracing.close();
        return exporter.spans;
    }

    @AfterEach
    void close() {
        if (tracing != null) {
            tracing.close();
        }
    }


    @Test
    void aSampledCallerGetsAServerSpanThatIsTheChildOfItsSpan() {
        Tracing t = tracing(1.0, 0.99);
        HttpHeaders in = TestHeaders.of("traceparent", "00-" + TRACE + "-" + CALLER_SPAN + "-01", "tracestate", "congo=t61");
        long start = ticker.get() - 3_000; // the exchange started 3 µs before the span was made

        RequestSpan span = t.startServer(in, "GET", "web.shop:8080", "/orders/42?token=secret", "1.1", start);
        assertThat(span.recording()).isTrue();
        span.routed("web.shop.svc.cluster.local:8080/*", "inbound", "inbound|8080|http");
        span.peer(PEER);
        span.requestId("r-1");
        HttpHeaders toApp = TestHeaders.of("traceparent", "00-" + TRACE + "-" + CALLER_SPAN + "-01", "tracestate", "congo=t61");
        span.inject(toApp);
        span.end(200, "-", start + 2_500_000);

        SpanData d = exported().get(0);
        assertThat(d.getKind()).isEqualTo(SpanKind.SERVER);
        assertThat(d.getTraceId()).isEqualTo(TRACE);
        assertThat(d.getParentSpanId()).isEqualTo(CALLER_SPAN);
        assertThat(d.getParentSpanContext().isRemote()).isTrue();
        assertThat(d.getName()).isEqualTo("web.shop.svc.cluster.local:8080/*");
        assertThat(d.getStartEpochNanos()).isEqualTo(nanos(NOW) - 3_000);
        assertThat(d.getEndEpochNanos() - d.getStartEpochNanos()).isEqualTo(2_500_000);
        assertThat(d.getAttributes().asMap()).containsEntry(AttributeKey.stringKey("http.request.method"), "GET")
                .containsEntry(AttributeKey.stringKey("url.path"), "/orders/42")
                .containsEntry(AttributeKey.stringKey("server.address"), "web.shop")
                .containsEntry(AttributeKey.longKey("server.port"), 8080L)
                .containsEntry(AttributeKey.stringKey("network.protocol.version"), "1.1")
                .containsEntry(AttributeKey.longKey("http.response.status_code"), 200L)
                .containsEntry(AttributeKey.stringKey("response_flags"), "-")
                .containsEntry(AttributeKey.stringKey("route_name"), "inbound")
                .containsEntry(AttributeKey.stringKey("upstream_cluster"), "inbound|8080|http")
                .containsEntry(AttributeKey.stringKey("source.principal"), PEER)
                .containsEntry(AttributeKey.stringKey("destination.principal"), SELF)
                .containsEntry(AttributeKey.stringKey("guid:x-request-id"), "r-1");
        assertThat(d.getStatus().getStatusCode()).isEqualTo(StatusCode.UNSET);
        assertThat(d.getResource().getAttribute(AttributeKey.stringKey("service.name"))).isEqualTo("web.shop");
        assertThat(toApp.get("traceparent")).isEqualTo("00-" + TRACE + "-" + d.getSpanId() + "-01");
        assertThat(toApp.get("tracestate")).isEqualTo("congo=t61");
        assertThat(toApp.contains("b3")).isFalse();
    }

    @Test
    void aRequestWithNoContextStartsASampledTraceWhenTheRatioSaysSo() {
        Tracing t = tracing(1.0, 0.001); // a draw under 1 %
        HttpHeaders out = TestHeaders.of("traceparent", "00-garbage", "tracestate", "a=b");

        RequestSpan span = t.startClient(out, "POST", "payments.shop:8080", "/pay", "2", ticker.get());
        span.routed("payments/default", "payments/default", "payments.shop");
        span.retry(2, "connect-failure", ticker.get() + 1_000);
        span.retry(3, "503", ticker.get() + 2_000);
        span.peer(PEER);
        span.inject(out);
        span.end(503, "URX", ticker.get() + 5_000);

        SpanData d = exported().get(0);
        assertThat(d.getKind()).isEqualTo(SpanKind.CLIENT);
        assertThat(d.getParentSpanContext().isValid()).as("a new trace, not a child of the garbage").isFalse();
        assertThat(d.getName()).isEqualTo("payments/default");
        assertThat(d.getEvents()).extracting(EventData::getName).containsExactly("retry", "retry");
        assertThat(d.getEvents().get(0).getAttributes().get(AttributeKey.longKey("retry.attempt"))).isEqualTo(2L);
        assertThat(d.getEvents().get(1).getAttributes().get(AttributeKey.stringKey("retry.reason"))).isEqualTo("503");
        assertThat(d.getEvents().get(1).getEpochNanos() - d.getStartEpochNanos()).isEqualTo(2_000);
        assertThat(d.getAttributes().asMap()).containsEntry(AttributeKey.longKey("http.request.resend_count"), 2L)
                .containsEntry(AttributeKey.stringKey("source.principal"), SELF)
                .containsEntry(AttributeKey.stringKey("destination.principal"), PEER)
                .containsEntry(AttributeKey.stringKey("error.type"), "503")
                .containsEntry(AttributeKey.stringKey("network.protocol.version"), "2");
        assertThat(d.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
        assertThat(out.get("traceparent")).isEqualTo("00-" + d.getTraceId() + "-" + d.getSpanId() + "-01");
        assertThat(out.contains("tracestate")).as("it went with the malformed traceparent").isFalse();
        assertThat(out.get("b3")).as("a trace started here is written as B3 too")
                .isEqualTo(d.getTraceId() + "-" + d.getSpanId() + "-1");
    }

    @Test
    void aSampledOutRequestWithNoContextGetsNoneAndItsHeadersPassUntouched() {
        Tracing t = tracing(1.0, 0.5);
        HttpHeaders out = TestHeaders.of("x-request-id", "r-2");

        RequestSpan span = t.startClient(out, "GET", "payments.shop", "/", "1.1", ticker.get());
        span.inject(out);
        span.end(200, null, ticker.get());

        assertThat(span).isSameAs(RequestSpan.NONE);
        assertThat(TraceHeaders.extract(out)).as("a context only when sampling says so").isNull();
        assertThat(out.names()).containsExactly("x-request-id");
        assertThat(exported()).isEmpty();
    }

    @Test
    void aMalformedContextThatIsNotSampledIsReplacedByOneMarkedNotSampled() {
        Tracing t = tracing(1.0, 0.5);
        HttpHeaders out = TestHeaders.of("traceparent", "00-" + TRACE + "-" + CALLER_SPAN + "-00",
                "b3", "not-a-b3-value");

        RequestSpan span = t.startClient(out, "GET", "payments.shop", "/", "1.1", ticker.get());
        span.inject(out);
        span.end(200, null, ticker.get());

        assertThat(span.recording()).isFalse();
        assertThat(out.get("b3")).isNotEqualTo("not-a-b3-value");
        assertThat(TraceHeaders.extract(out).decision()).isEqualTo(TraceContext.Decision.NOT_SAMPLED);
        assertThat(out.get("traceparent")).endsWith("-00");
        assertThat(exported()).isEmpty();
    }

    @Test
    void aCallersNotSampledIsForwardedAsItCame() {
        Tracing t = tracing(100, 0.0);
        String traceparent = "00-" + TRACE + "-" + CALLER_SPAN + "-00";
        HttpHeaders in = TestHeaders.of("traceparent", traceparent, "x-b3-traceid", TRACE, "x-b3-spanid", CALLER_SPAN,
                "x-b3-sampled", "0");

        RequestSpan span = t.startServer(in, "GET", "web.shop:8080", "/", "1.1", ticker.get());
        span.inject(in);
        span.end(200, "-", ticker.get());

        assertThat(span).isSameAs(RequestSpan.NONE);
        assertThat(in.get("traceparent")).isEqualTo(traceparent);
        assertThat(in.get("x-b3-sampled")).isEqualTo("0");
        assertThat(exported()).isEmpty();
    }

    @Test
    void aNotSampledCallerWithAMalformedB3BesideItsTraceparentHasItRewritten() {
        Tracing t = tracing(100, 0.0);
        HttpHeaders in = TestHeaders.of("traceparent", "00-" + TRACE + "-" + CALLER_SPAN + "-00", "x-b3-traceid", "nope");

        RequestSpan span = t.startServer(in, "GET", "web.shop:8080", "/", "1.1", ticker.get());
        span.inject(in);

        assertThat(span.recording()).isFalse();
        assertThat(in.get("traceparent")).isEqualTo("00-" + TRACE + "-" + CALLER_SPAN + "-00");
        assertThat(in.get("x-b3-traceid")).isEqualTo(TRACE);
        assertThat(in.get("x-b3-spanid")).isEqualTo(CALLER_SPAN);
        assertThat(in.get("x-b3-sampled")).isEqualTo("0");
    }

    @Test
    void b3LeavingTheDecisionHereKeepsItsTraceEitherWay() {
        Tracing sampled = tracing(1.0, 0.0);
        HttpHeaders in = TestHeaders.of("x-b3-traceid", TRACE, "x-b3-spanid", CALLER_SPAN);
        RequestSpan span = sampled.startServer(in, "GET", "web.shop", "/", "1.1", ticker.get());
        HttpHeaders toApp = new DefaultHttpHeaders();
        span.inject(toApp);
        span.end(200, "-", ticker.get());
        SpanData d = exported().get(0);
        assertThat(d.getTraceId()).isEqualTo(TRACE);
        assertThat(d.getParentSpanId()).isEqualTo(CALLER_SPAN);
        assertThat(toApp.get("x-b3-traceid")).isEqualTo(TRACE);
        assertThat(toApp.get("x-b3-parentspanid")).isEqualTo(CALLER_SPAN);
        assertThat(toApp.get("x-b3-sampled")).isEqualTo("1");
        assertThat(toApp.contains("b3")).as("the caller used the multi-header form only").isFalse();

        Tracing notSampled = tracing(1.0, 0.5);
        HttpHeaders in2 = TestHeaders.of("x-b3-traceid", TRACE, "x-b3-spanid", CALLER_SPAN);
        RequestSpan other = notSampled.startServer(in2, "GET", "web.shop", "/", "1.1", ticker.get());
        other.inject(in2);
        assertThat(in2.get("x-b3-traceid")).isEqualTo(TRACE);
        assertThat(in2.get("x-b3-sampled")).isEqualTo("0");
        assertThat(in2.get("traceparent")).isEqualTo("00-" + TRACE + "-" + CALLER_SPAN + "-00");
    }

    @Test
    void anUnknownMethodIsRecordedAsTheConventionsSayAndEndingTwiceEndsOnce() {
        Tracing t = tracing(100, 0.0);

        RequestSpan span = t.startServer(new DefaultHttpHeaders(), "PURGE", null, "/", "1.1", ticker.get());
        span.end(0, "DC", ticker.get());
        span.end(200, "-", ticker.get());

        SpanData d = exported().get(0);
        assertThat(d.getName()).isEqualTo("HTTP");
        assertThat(d.getAttributes().asMap()).containsEntry(AttributeKey.stringKey("http.request.method"), "_OTHER")
                .containsEntry(AttributeKey.stringKey("http.request.method_original"), "PURGE")
                .containsEntry(AttributeKey.stringKey("error.type"), "DC")
                .doesNotContainKey(AttributeKey.longKey("http.response.status_code"))
                .doesNotContainKey(AttributeKey.stringKey("server.address"));
        assertThat(exporter.spans).hasSize(1);
    }

    @Test
    void aServersFourHundredIsNoErrorButAClientsIs() {
        Tracing t = tracing(100, 0.0);
        t.startServer(new DefaultHttpHeaders(), "GET", "a:1", "/", "1.1", ticker.get()).end(404, "-", ticker.get());
        t.startClient(new DefaultHttpHeaders(), "GET", "b:2", "/", "1.1", ticker.get()).end(404, "-", ticker.get());

        assertThat(exported()).extracting(d -> d.getKind() + " " + d.getStatus().getStatusCode())
                .containsExactlyInAnyOrder("SERVER UNSET", "CLIENT ERROR");
    }

    @Test
    void exportedSpansAreCounted() {
        Tracing t = tracing(100, 0.0);
        for (int i = 0; i < 3; i++) {
            t.startServer(new DefaultHttpHeaders(), "GET", "a:1", "/", "1.1", ticker.get()).end(200, "-", ticker.get());
        }
        exported();

        assertThat(registry.scrape()).contains("remora_tracing_spans_exported_total 3.0")
                .contains("remora_tracing_spans_dropped_total 0.0");
    }

    @Test
    void withoutACollectorOrWithSamplingZeroTracingIsOff() {
        Sidecar noCollector = Sidecar.defaults();
        Sidecar zero = new Sidecar(Metadata.of("web", "shop"), new Sidecar.Spec(null, 1, null, null, null, null, null,
                null, false, null, null, null, null, null, new Sidecar.Tracing(0.0, "http://127.0.0.1:4318", 0, 0, null),
                null));

        assertThat(Tracing.create(noCollector, null, registry, ProxyEnvironment.SYSTEM)).isSameAs(Tracing.off());
        assertThat(Tracing.create(zero, null, registry, ProxyEnvironment.SYSTEM)).isSameAs(Tracing.off());
        assertThat(registry.scrape()).doesNotContain("remora_tracing");
    }

    @Test
    void offCostsNothingPerRequest() {
        Tracing off = Tracing.off();
        HttpHeaders in = TestHeaders.of("traceparent", "00-" + TRACE + "-" + CALLER_SPAN + "-01");
        HttpHeaders out = new DefaultHttpHeaders();
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        for (int i = 0; i < 20_000; i++) { // warm up: compiled, so what is measured is the code, not the interpreter
            request(off, in, out, i);
        }

        long before = threads.getCurrentThreadAllocatedBytes();
        for (int i = 0; i < 100_000; i++) {
            request(off, in, out, i);
        }
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;

        assertThat(allocated).as("bytes allocated by 100,000 requests with tracing off").isLessThan(1_000);
        assertThat(out.isEmpty()).isTrue();
    }

    @Test
    void aCallersNotSampledCostsAFewSmallObjects() {
        Tracing on = tracing(1.0, 0.5);
        HttpHeaders in = TestHeaders.of("traceparent", "00-" + TRACE + "-" + CALLER_SPAN + "-00");
        HttpHeaders out = new DefaultHttpHeaders();
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        for (int i = 0; i < 20_000; i++) {
            request(on, in, out, i);
        }

        long before = threads.getCurrentThreadAllocatedBytes();
        for (int i = 0; i < 100_000; i++) {
            request(on, in, out, i);
        }
        long perRequest = (threads.getCurrentThreadAllocatedBytes() - before) / 100_000;

        assertThat(perRequest).as("bytes per request forwarded untouched").isLessThanOrEqualTo(128);
        assertThat(out.isEmpty()).isTrue();
    }

    private static void request(Tracing tracing, HttpHeaders in, HttpHeaders out, long nanos) {
        RequestSpan span = tracing.startServer(in, "GET", "web.shop:8080", "/orders", "1.1", nanos);
        span.routed("web", "web", "inbound|8080|http");
        span.peer(PEER);
        span.requestId("r");
        span.inject(out);
        span.retry(2, "503", nanos);
        span.end(200, "-", nanos);
    }

    private static long nanos(Instant instant) {
        return instant.getEpochSecond() * 1_000_000_000L + instant.getNano();
    }
}
