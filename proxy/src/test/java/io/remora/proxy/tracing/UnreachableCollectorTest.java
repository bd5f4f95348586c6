package io.remora.proxy.tracing;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.remora.config.Sidecar;
import io.remora.config.testing.Eventually;
import io.remora.proxy.ProxyEnvironment;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;

/**
 * A collector that cannot be reached costs spans, counted, and never time on the event loop: ending a span returns at
 * once whether the collector refuses connections or accepts them and never answers.
 */
class UnreachableCollectorTest {
    private static final int SPANS = 200;

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);

    private Tracing tracing(String collector) {
        Sidecar.Tracing config = new Sidecar.Tracing(100.0, collector, 8, 4, Duration.ofMillis(20));
        return new Tracing(config, "web.shop", null, Tracing.otlp(collector + "/v1/traces", Duration.ofMillis(500)),
                Duration.ofMillis(500), registry, ProxyEnvironment.seeded(5));
    }

    /** Ends {@link #SPANS} spans as fast as an event loop would and returns how long that took, in nanoseconds. */
    private static long endSpans(Tracing tracing) {
        long start = System.nanoTime();
        for (int i = 0; i < SPANS; i++) {
            long now = System.nanoTime();
            tracing.startClient(new DefaultHttpHeaders(), "GET", "payments.shop:8080", "/", "1.1", now)
                    .end(200, "-", now);
        }
        return System.nanoTime() - start;
    }

    private static void awaitDropped(Tracing tracing, long expected) {
        Eventually.within(Duration.ofSeconds(20)).until(expected + " spans dropped",
                () -> tracing.droppedSpans() >= expected);
        assertThat(tracing.droppedSpans()).isEqualTo(expected);
    }

    @Test
    void aCollectorThatRefusesConnectionsCostsOnlyCountedDrops() throws Exception {
        int port;
        try (ServerSocket closed = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = closed.getLocalPort();
        }
        Tracing tracing = tracing("http://127.0.0.1:" + port);

        long took = endSpans(tracing);

        assertThat(Duration.ofNanos(took)).isLessThan(Duration.ofSeconds(1));
        awaitDropped(tracing, SPANS);
        tracing.close();
        assertThat(registry.scrape()).contains("remora_tracing_spans_dropped_total " + SPANS + ".0")
                .contains("remora_tracing_spans_exported_total 0.0");
    }

    @Test
    void aCollectorThatNeverAnswersFillsTheQueueAndEndingStillNeverWaits() throws Exception {
        // Connections complete in the kernel's backlog; nothing ever reads them or answers.
        try (ServerSocket blackHole = new ServerSocket(0, 64, InetAddress.getLoopbackAddress())) {
            Tracing tracing = tracing("http://127.0.0.1:" + blackHole.getLocalPort());

            long took = endSpans(tracing);

            assertThat(Duration.ofNanos(took)).as("ending spans while the exporter hangs")
                    .isLessThan(Duration.ofSeconds(1));
            assertThat(tracing.droppedSpans()).as("the queue (8) and a batch (4) at most were taken; the rest dropped")
                    .isGreaterThanOrEqualTo(SPANS - 8 - 4);
            awaitDropped(tracing, SPANS); // each export request gives up after its timeout, and is counted
            long closing = System.nanoTime();
            tracing.close();
            assertThat(Duration.ofNanos(System.nanoTime() - closing)).isLessThan(Duration.ofSeconds(2));
        }
    }
}
