package io.remora.controlplane.dashboard;

import io.remora.controlplane.ControlPlaneMetrics;

import java.util.concurrent.Semaphore;

/**
 * How many dashboard requests the admin port serves at once; one over the bound is answered 503 at once and counted
 * ({@code remora_cp_dashboard_requests_total{result="refused"}}), so however many browsers poll, the admin threads
 * left for {@code /healthz} and {@code /stats/prometheus} stay free. What a request costs is bounded too: the data is
 * rendered once per scrape round, never per client.
 */
public final class ClientGate {
    private final Semaphore permits;
    private final ControlPlaneMetrics metrics;

    public ClientGate(int max, ControlPlaneMetrics metrics) {
        this.permits = new Semaphore(max);
        this.metrics = metrics;
    }

    /** True (and counted as served) when the request may be served; then {@link #leave} once it is. */
    public boolean enter() {
        if (permits.tryAcquire()) {
            metrics.dashboard("served");
            return true;
        }
        metrics.dashboard("refused");
        return false;
    }

    public void leave() {
        permits.release();
    }
}
