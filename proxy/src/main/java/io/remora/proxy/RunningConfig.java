package io.remora.proxy;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.remora.config.Sidecar;
import io.remora.config.Snapshot;
import io.remora.log.Log;
import io.remora.proxy.cluster.ServiceGuards;
import io.remora.proxy.metrics.ConfigVersionGauge;
import io.remora.proxy.route.RouteTable;

import java.net.InetSocketAddress;
import java.util.function.Supplier;

/**
 * The config a running proxy serves, and the one way it changes, whichever {@link ConfigSource} delivers: a snapshot
 * is applied whole (the routing swapped atomically; requests in flight finish on what they started with), or refused
 * and counted with the running one kept. The Sidecar resource is read at start (listeners, mTLS, limits), so a
 * snapshot whose Sidecar differs is refused.
 */
final class RunningConfig implements ConfigTarget {
    private final ProxyContext pc;
    /** Each service's limits, budget, ejections and endpoint health, kept across snapshots (not per table). */
    private final ServiceGuards guards;
    private final Sidecar sidecar;
    private final Counter appliedCount;
    private final Counter rejectedCount;
    private final ConfigVersionGauge version;
    private final Supplier<InetSocketAddress> metricsAddress;

    /**
     * @param guards         what the proxy's first routing table was built with
     * @param metricsAddress the bound metrics address once the proxy listens, null before
     */
    RunningConfig(ProxyContext pc, ServiceGuards guards, MeterRegistry registry,
                  Supplier<InetSocketAddress> metricsAddress) {
        this.pc = pc;
        this.metricsAddress = metricsAddress;
        this.guards = guards;
        this.sidecar = running().sidecarOrDefault();
        this.appliedCount = Counter.builder("remora.config.applied")
                .description("Snapshots applied to the running proxy after start").register(registry);
        this.rejectedCount = Counter.builder("remora.config.rejected")
                .description("Snapshots refused; the running config was kept").register(registry);
        this.version = new ConfigVersionGauge(registry, running().version());
    }

    @Override
    public Snapshot running() {
        return pc.routes().snapshot();
    }

    @Override
    public Sidecar sidecar() {
        return sidecar;
    }

    @Override
    public InetSocketAddress metricsAddress() {
        return metricsAddress.get();
    }

    /** @throws IllegalArgumentException naming why the snapshot cannot be applied; nothing changed then */
    @Override
    public synchronized void apply(Snapshot next) {
        if (!next.sidecarOrDefault().equals(sidecar)) {
            rejectedCount.increment();
            throw new IllegalArgumentException("the Sidecar resource changed; listeners, mTLS and limits are set at"
                    + " start, so restart the proxy to use it (services, routes and policies reload without one)");
        }
        String previous = runningVersion();
        if (next.version().equals(previous)) {
            return;
        }
        RouteTable table;
        try {
            table = RouteTable.build(next, guards);
        } catch (IllegalArgumentException e) {
            rejectedCount.increment();
            throw e;
        }
        pc.swapRoutes(table);
        version.set(next.version());
        appliedCount.increment();
        Log.info("config_applied", "version", next.version(), "previous", previous,
                "services", next.services().size(), "routes", next.routes().size(),
                "authorization_policies", next.authorizationPolicies().size());
    }

    @Override
    public void rejected() {
        rejectedCount.increment();
    }
}
