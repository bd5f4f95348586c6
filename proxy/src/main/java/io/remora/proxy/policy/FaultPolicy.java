package io.remora.proxy.policy;

import io.remora.config.Route;

import java.util.random.RandomGenerator;

/**
 * Faults a route rule injects on purpose, compiled once per config: an abort answered by the proxy itself for a
 * share of requests, and a fixed delay for another share. Each share is drawn independently per request.
 */
public final class FaultPolicy {
    private final double abortPercent;
    private final int abortStatus;
    /** gRPC status for gRPC requests; -1 for the one matching {@link #abortStatus}. */
    private final int abortGrpcStatus;
    private final double delayPercent;
    private final long delayNanos;

    private FaultPolicy(Route.Fault fault) {
        Route.Abort abort = fault.abort();
        Route.Delay delay = fault.delay();
        this.abortPercent = abort == null ? 0 : abort.percent();
        this.abortStatus = abort == null || abort.httpStatus() == 0 ? io.remora.config.Defaults.FAULT_ABORT_STATUS : abort.httpStatus();
        this.abortGrpcStatus = abort == null || abort.grpcStatus() == null ? -1 : abort.grpcStatus().code();
        this.delayPercent = delay == null ? 0 : delay.percent();
        this.delayNanos = delay == null || delay.fixedDelay() == null ? 0 : delay.fixedDelay().toNanos();
    }

    /** The compiled faults of {@code fault}; null when there are none, so the request path can skip them. */
    public static FaultPolicy of(Route.Fault fault) {
        if (fault == null) {
            return null;
        }
        FaultPolicy p = new FaultPolicy(fault);
        return p.abortPercent <= 0 && (p.delayPercent <= 0 || p.delayNanos <= 0) ? null : p;
    }

    /** True for the share of requests that are to be aborted. */
    public boolean abort(RandomGenerator random) {
        return hit(abortPercent, random);
    }

    /** True for the share of requests that are to be delayed. */
    public boolean delay(RandomGenerator random) {
        return delayNanos > 0 && hit(delayPercent, random);
    }

    public int abortStatus() {
        return abortStatus;
    }

    /** gRPC status of an abort for gRPC requests; -1 to use the one that matches the HTTP status. */
    public int abortGrpcStatus() {
        return abortGrpcStatus;
    }

    public long delayNanos() {
        return delayNanos;
    }

    static boolean hit(double percent, RandomGenerator random) {
        return percent > 0 && (percent >= 100 || random.nextDouble() * 100 < percent);
    }
}
