package io.remora.proxy.metrics;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * {@code remora_config_version_info{version="…"} 1}: which config the proxy runs, as Prometheus "info" metrics
 * carry text. One series at a time: the previous version's is removed when a new one is applied, so a query
 * over the fleet ({@code count by (version)}) shows how far a change has spread.
 */
public final class ConfigVersionGauge {
    private final MeterRegistry registry;
    private Gauge current;

    public ConfigVersionGauge(MeterRegistry registry, String version) {
        this.registry = registry;
        set(version);
    }

    public synchronized void set(String version) {
        if (current != null) {
            registry.remove(current);
        }
        current = Gauge.builder("remora.config.version.info", () -> 1)
                .description("The version of the config the proxy runs (content hash, or the control plane's)")
                .tag("version", version == null ? "" : version).register(registry);
    }
}
