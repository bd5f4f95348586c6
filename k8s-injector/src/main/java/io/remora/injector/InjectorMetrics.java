package io.remora.injector;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * The webhook's metrics: {@code remora_injector_requests_total{result}} (injected, skipped, unchanged, invalid,
 * overloaded), {@code remora_injector_request_duration_seconds} and
 * {@code remora_injector_certificate_expiry_timestamp_seconds}.
 */
final class InjectorMetrics {
    final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Map<String, Counter> requests = new ConcurrentHashMap<>();
    private final Timer duration = Timer.builder("remora.injector.request.duration")
            .description("Time to answer one admission review").publishPercentileHistogram()
            .minimumExpectedValue(Duration.ofMillis(1)).maximumExpectedValue(Duration.ofSeconds(10))
            .register(registry);

    InjectorMetrics(Supplier<Double> certificateExpiry) {
        // Strongly held: a gauge keeps its object weakly, and this supplier would be collected.
        Gauge.builder("remora.injector.certificate.expiry.timestamp", certificateExpiry, Supplier::get)
                .baseUnit("seconds").description("When the serving certificate expires (Unix time)")
                .strongReference(true).register(registry);
        for (String r : new String[] {"injected", "skipped", "unchanged", "invalid", "overloaded"}) {
            counter(r);
        }
    }

    void request(String result, long nanos) {
        counter(result).increment();
        duration.record(Duration.ofNanos(nanos));
    }

    private Counter counter(String result) {
        return requests.computeIfAbsent(result, r -> Counter.builder("remora.injector.requests")
                .description("Admission reviews answered, by result").tag("result", r).register(registry));
    }

    String scrape() {
        return registry.scrape();
    }
}
