package io.remora.proxy.http;

import io.netty.handler.codec.http.HttpResponse;
import io.netty.util.AsciiString;
import io.remora.proxy.cluster.ServiceGuard;
import io.remora.proxy.policy.ConcurrencyLimits;
import io.remora.proxy.policy.RetryDecision;
import io.remora.proxy.policy.RetryPolicy;
import io.remora.proxy.policy.RetryReason;
import io.remora.proxy.policy.TryFailure;

import java.util.random.RandomGenerator;

/**
 * The retries of one request (Envoy's {@code RetryStateImpl}): how many were made, whether the rules ran out, and
 * the circuit breaker's retry slot the request holds while a retry is in flight. Whether a failed try is retried is
 * {@link RetryDecision}'s pure answer; this adds what is shared with every other request to the service: its retry
 * slots and its retry budget.
 */
final class RetryState {
    private static final AsciiString GRPC_STATUS = AsciiString.cached("grpc-status");
    private final RetryPolicy rules;
    /** The service's long-lived guard; null for inbound and passthrough traffic, which have no limits. */
    private final ServiceGuard guard;
    /** Whether the request's method may be sent twice without harm (some retry rules need that). */
    private final boolean idempotent;
    private int retries;
    private boolean exhausted;
    private boolean holdsSlot;

    RetryState(RetryPolicy rules, ServiceGuard guard, boolean idempotent) {
        this.rules = rules;
        this.guard = guard;
        this.idempotent = idempotent;
    }

    /**
     * Decides on a retry of the try numbered {@code attempt} that failed for {@code reason} (null: the rules do not
     * retry it), and when it is one, takes a retry slot and a share of the budget for it.
     *
     * @return the wait before the retry in nanoseconds, or -1 when there is none
     */
    long next(int attempt, RetryReason reason, long retryAfterNanos, boolean replayable, long now, long deadline,
              RandomGenerator random) {
        long wait = RetryDecision.decide(rules, attempt, reason, retryAfterNanos, replayable, now, deadline, random);
        if (wait == RetryDecision.EXHAUSTED) {
            exhausted = true;
        }
        if (wait < 0 || !admit(reason)) {
            return -1;
        }
        retries++;
        return wait;
    }

    /**
     * Why a response head that came back is retried by the rules (a status, a gRPC status in the headers of a
     * trailers-only answer); null when it is not.
     */
    RetryReason reasonFor(HttpResponse res, boolean grpc) {
        int code = res.status().code();
        if (code < 500 && rules.attempts() <= 1) {
            return null;
        }
        int headerGrpcStatus = grpc ? LocalReplies.grpcCode(res.headers().get(GRPC_STATUS)) : -1;
        return rules.reason(TryFailure.RESPONSE, code, headerGrpcStatus, idempotent);
    }

    /** Why the rules retry a try that failed before any response ({@code failure}); null when they do not. */
    RetryReason reasonFor(TryFailure failure) {
        return rules.reason(failure, 0, -1, idempotent);
    }

    /** The last failure was one the rules retry, and retries were made until none was left: Envoy's {@code URX}. */
    boolean limitReached() {
        return exhausted && retries > 0;
    }

    int retries() {
        return retries;
    }

    /** A retry holds one of the service's retry slots (one at a time per request) and spends from its budget. */
    private boolean admit(RetryReason reason) {
        release();
        if (guard == null) {
            return true;
        }
        if (!guard.limits().tryAcquireRetry()) {
            guard.meters().overflow(ConcurrencyLimits.Limit.RETRIES);
            return false;
        }
        if (!guard.budget().tryRetry()) {
            guard.limits().releaseRetry();
            guard.meters().budgetExhausted();
            return false;
        }
        holdsSlot = true;
        guard.meters().retry(reason);
        return true;
    }

    /** Gives the retry slot back (the retry's try ended, or the request did). */
    void release() {
        if (holdsSlot) {
            guard.limits().releaseRetry();
            holdsSlot = false;
        }
    }
}
