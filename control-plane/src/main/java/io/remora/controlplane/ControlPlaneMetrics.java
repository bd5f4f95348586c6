package io.remora.controlplane;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.remora.config.ConfigError;
import io.remora.controlplane.mesh.MeshBuilder;
import io.remora.protocol.DiscoveryRequest;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What the control plane counts, on {@code /stats/prometheus}: connected proxies, pushes and their size, NACKs by
 * reason, convergence time (source change seen → ACK from each proxy) as a histogram, queue overflows, rejected
 * config, and certificates issued or refused.
 */
public final class ControlPlaneMetrics implements MeshBuilder.Rejections {
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final AtomicInteger connected = new AtomicInteger();
    private final AtomicInteger rejectedOrigins = new AtomicInteger();
    private final Counter pushes;
    private final Counter unchanged;
    private final Counter overflow;
    private final DistributionSummary pushBytes;
    private final Timer convergence;

    public ControlPlaneMetrics() {
        Gauge.builder("remora.cp.connected.proxies", connected, AtomicInteger::get)
                .description("Sidecars with an open subscription").register(registry);
        Gauge.builder("remora.cp.config.rejected.origins", rejectedOrigins, AtomicInteger::get)
                .description("Files or API objects rejected now (their last good content, or nothing, in use)")
                .register(registry);
        pushes = Counter.builder("remora.cp.pushes").description("Snapshots sent to sidecars").register(registry);
        unchanged = Counter.builder("remora.cp.pushes.skipped")
                .description("Mesh changes that left a sidecar's snapshot as it was, so nothing was sent")
                .register(registry);
        overflow = Counter.builder("remora.cp.push.queue.overflow")
                .description("Snapshots replaced before a slow sidecar could take them (the newer one is sent)")
                .register(registry);
        pushBytes = DistributionSummary.builder("remora.cp.push.size").baseUnit("bytes")
                .description("Size of each snapshot pushed").serviceLevelObjectives(1024, 8192, 65536, 524288)
                .register(registry);
        convergence = Timer.builder("remora.cp.convergence")
                .description("From a source change seen to the ACK of each sidecar it changed")
                .serviceLevelObjectives(Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250),
                        Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofSeconds(5),
                        Duration.ofSeconds(10))
                .register(registry);
    }

    public String scrape() {
        return registry.scrape();
    }

    public void connected(int delta) {
        connected.addAndGet(delta);
    }

    public void pushed(int bytes) {
        pushes.increment();
        pushBytes.record(bytes);
    }

    public void unchanged() {
        unchanged.increment();
    }

    public void overflow() {
        overflow.increment();
    }

    public void converged(Duration d) {
        convergence.record(d);
    }

    public void nacked(DiscoveryRequest.Reason reason) {
        Counter.builder("remora.cp.nacks").description("Snapshots a sidecar refused, by reason")
                .tag("reason", reason == null ? "unknown" : reason.name().toLowerCase(java.util.Locale.ROOT))
                .register(registry).increment();
    }

    /** One scrape of a sidecar's metrics for the dashboard, by result ({@code ok}, {@code failed}). */
    public void scraped(String result) {
        Counter.builder("remora.cp.scrapes").description("Scrapes of sidecars' metrics for the dashboard, by result")
                .tag("result", result).register(registry).increment();
    }

    /** Sidecars left out of a scrape round by its bound (they are scraped in a later round). */
    public void scrapeDeferred(int sidecars) {
        Counter.builder("remora.cp.scrapes.deferred")
                .description("Sidecars left out of a scrape round by its bound, taken in a later round")
                .register(registry).increment(sidecars);
    }

    /** A dashboard request, by result: {@code served}, or {@code refused} (503: too many at once). */
    public void dashboard(String result) {
        Counter.builder("remora.cp.dashboard.requests").description("Dashboard requests, by result")
                .tag("result", result).register(registry).increment();
    }

    public void certificate(String result) {
        Counter.builder("remora.cp.certificates").description("Certificate requests, by result")
                .tag("result", result).register(registry).increment();
    }

    @Override
    public void rejected(String source, String origin, List<ConfigError> errors) {
        Counter.builder("remora.cp.config.rejected").description("Files or API objects rejected, by source")
                .tag("source", source).register(registry).increment();
    }

    @Override
    public void current(int rejected) {
        rejectedOrigins.set(rejected);
    }
}
