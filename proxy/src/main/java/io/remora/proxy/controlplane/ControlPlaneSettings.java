package io.remora.proxy.controlplane;

import io.remora.proxy.policy.Backoff;
import io.remora.proxy.tls.ControlPlaneIdentitySource;

import java.time.Clock;
import java.time.Duration;

/**
 * The timing of the sidecar's dealings with the control plane, in one place so tests can make it fast and move the
 * clock; production uses {@link #defaults()}.
 *
 * @param clock            what certificate validity, renewal and last contact are judged by
 * @param reconnect        full-jitter backoff between subscription attempts (reset once a message arrives)
 * @param certificateRetry full-jitter backoff between failed certificate requests
 * @param startTimeout     how long start waits for the first certificate when none is kept
 * @param renewalCheck     how often the clock is looked at for a due renewal
 * @param callTimeout      deadline of one certificate request
 */
public record ControlPlaneSettings(Clock clock, Backoff reconnect, Backoff certificateRetry, Duration startTimeout,
                                   Duration renewalCheck, Duration callTimeout) {
    /**
     * Reconnects from 100 ms up to 10 s apart (a fleet that lost the control plane together does not come back in
     * one wave); certificate requests retried from 250 ms up to 30 s apart; start waits 10 s for a certificate,
     * long enough for a control plane starting beside the sidecar, short enough to fail a broken pod visibly.
     */
    public static ControlPlaneSettings defaults() {
        ControlPlaneIdentitySource.Timing t = ControlPlaneIdentitySource.Timing.defaults();
        return new ControlPlaneSettings(t.clock(), new Backoff(Duration.ofMillis(100), Duration.ofSeconds(10)),
                t.retry(), t.startTimeout(), t.checkInterval(), Duration.ofSeconds(5));
    }

    /** The certificate side of these settings. */
    public ControlPlaneIdentitySource.Timing certificateTiming() {
        return new ControlPlaneIdentitySource.Timing(clock, certificateRetry, startTimeout, renewalCheck);
    }
}
