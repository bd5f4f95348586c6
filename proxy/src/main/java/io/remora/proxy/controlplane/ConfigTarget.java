package io.remora.proxy.controlplane;

import io.remora.config.Sidecar;
import io.remora.config.Snapshot;

/** Where accepted snapshots go: the running proxy. Implemented by the proxy runtime. */
public interface ConfigTarget {
    /** The proxy's own Sidecar (from its files): every snapshot from the control plane is paired with it. */
    Sidecar sidecar();

    /** The version the proxy runs; empty before it has any config. */
    String runningVersion();

    /**
     * Swaps the proxy's routing to {@code next} atomically; requests in flight finish on what they started with.
     *
     * @throws RuntimeException naming why it cannot be applied; the running config is kept then
     */
    void apply(Snapshot next);
}
