package io.remora.proxy;

import io.remora.config.Sidecar;
import io.remora.config.Snapshot;

import java.net.InetSocketAddress;

/**
 * Where a {@link ConfigSource} puts what it delivers: the running proxy. One interface for both sources, so the
 * config files and the control plane change the proxy the same way and are counted the same way.
 */
public interface ConfigTarget {
    /** The config the proxy runs: the Sidecar it started with, and the services, routes and policies applied last. */
    Snapshot running();

    /** The proxy's own Sidecar (read at start): every snapshot from the control plane is paired with it. */
    default Sidecar sidecar() {
        return running().sidecarOrDefault();
    }

    /**
     * Where the proxy serves {@code /stats/prometheus}, as bound (so port 0 is the port it got); null while it is not
     * listening. The control plane is told, to scrape it for its dashboard.
     */
    default InetSocketAddress metricsAddress() {
        return null;
    }

    /** The version the proxy runs; empty before it has any config. */
    default String runningVersion() {
        return running().version();
    }

    /**
     * Swaps the proxy's routing to {@code next} atomically; requests in flight finish on what they started with.
     *
     * @throws RuntimeException naming why it cannot be applied; the running config is kept then (and the refusal
     *                          counted)
     */
    void apply(Snapshot next);

    /** Counts a change refused before it reached {@link #apply} (files that do not load or validate). */
    void rejected();
}
