package io.remora.proxy.http;

import io.netty.handler.codec.http.HttpResponseStatus;
import io.remora.proxy.cluster.ServiceGuard;
import io.remora.proxy.policy.ConcurrencyLimits;
import io.remora.proxy.policy.FaultPolicy;
import io.remora.proxy.policy.Randomness;
import io.remora.proxy.policy.TokenBucket;
import io.remora.proxy.route.RoutePolicy;

import java.util.random.RandomGenerator;

/**
 * The steps a routed request passes before its first try, each deciding: go on, answer locally, or wait. In the
 * order Envoy's filter chain uses and for the same reasons: the rate limit first (a refused request must cost
 * nothing), then injected faults (they stand in for the upstream, so they come before anything that reserves upstream
 * capacity), then admission by the circuit breaker (a request that passes it holds a slot until it ends), then the
 * deadline (it covers every try and the waits between them; a fault's delay counts toward it).
 * {@link UpstreamCall#start()} runs them in that order. Inbound requests have no rule policy and no guard, so every
 * step lets them through. The steps touch long-lived state only (the rule's token bucket, the service's limits,
 * budget and meters), never the exchange, so each is tested as a function.
 */
final class RequestSteps {
    private RequestSteps() {
    }

    /** What a step decided. */
    sealed interface Outcome permits Continue, Reply, Delay {
    }

    /** Go on to the next step. */
    enum Continue implements Outcome { INSTANCE }

    /**
     * Answer locally.
     *
     * @param grpcStatus the gRPC status for a gRPC request, or -1 to derive it from the HTTP status
     */
    record Reply(HttpResponseStatus status, int grpcStatus, String flags, String message) implements Outcome {
    }

    /** Hold the request for {@code nanos} (an injected delay), then admit it. */
    record Delay(long nanos) implements Outcome {
    }

    private static final Reply RATE_LIMITED = new Reply(HttpResponseStatus.TOO_MANY_REQUESTS, -1,
            ResponseFlags.RATE_LIMITED, "local rate limit exceeded");

    /**
     * The rate limit, then the faults: before anything is reserved upstream.
     *
     * @param guard the service's guard; null for inbound and passthrough traffic
     */
    static Outcome beforeAdmission(RoutePolicy policy, ServiceGuard guard, Randomness randomness, boolean grpc) {
        TokenBucket limit = policy.rateLimit();
        if (limit != null && !limit.tryAcquire()) {
            if (guard != null) {
                guard.meters().rateLimited();
            }
            return RATE_LIMITED;
        }
        FaultPolicy fault = policy.fault();
        if (fault == null) {
            return Continue.INSTANCE;
        }
        RandomGenerator random = randomness.current();
        if (fault.abort(random)) {
            if (guard != null) {
                guard.meters().faultAbort();
            }
            return new Reply(HttpResponseStatus.valueOf(fault.abortStatus()),
                    grpc ? fault.abortGrpcStatus() : -1, ResponseFlags.FAULT_INJECTED, "fault filter abort");
        }
        if (fault.delay(random)) {
            if (guard != null) {
                guard.meters().faultDelay();
            }
            return new Delay(fault.delayNanos());
        }
        return Continue.INSTANCE;
    }

    /**
     * The circuit breaker's request slot: taken (and the request counted towards the retry budget's share), or
     * 503 {@code UO}. A request that continues holds the slot until it ends.
     */
    static Outcome admission(ServiceGuard guard, String service) {
        if (guard == null) {
            return Continue.INSTANCE;
        }
        if (!guard.limits().tryAcquireRequest()) {
            guard.meters().overflow(ConcurrencyLimits.Limit.REQUESTS);
            return new Reply(HttpResponseStatus.SERVICE_UNAVAILABLE, -1, ResponseFlags.UPSTREAM_OVERFLOW,
                    "upstream overflow: " + service + " has its maximum of requests in flight");
        }
        guard.budget().onRequest();
        return Continue.INSTANCE;
    }

    /**
     * The deadline: the route's, or the gRPC caller's own when it sent a shorter one (the route's timeout is the
     * operator's upper bound; the caller gives up sooner anyway).
     *
     * @return nanoseconds from now, or 0 when neither is set
     */
    static long deadlineNanos(RoutePolicy policy, boolean grpc, CharSequence grpcTimeoutHeader) {
        long timeout = policy.timeoutNanos();
        if (grpc) {
            long callerTimeout = GrpcTimeout.parseNanos(grpcTimeoutHeader);
            if (callerTimeout >= 0 && (timeout == 0 || callerTimeout < timeout)) {
                timeout = callerTimeout;
            }
        }
        return timeout;
    }
}
