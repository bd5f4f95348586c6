package io.remora.proxy.policy;

import io.remora.config.Defaults;

import java.util.random.RandomGenerator;

/**
 * Whether a failed try is tried again, and after how long: a pure function of the route's retry rules, the try's
 * number, why it failed, what the upstream asked for (Retry-After), and the time left before the deadline. The
 * shared limits a retry also needs (the circuit breaker's retry slots, the retry budget) are long-lived state and
 * are asked after this says yes; see {@code HttpExchange#retry}.
 *
 * <p>The answer is a long so that deciding allocates nothing: a wait in nanoseconds (zero or more) means retry,
 * {@link #EXHAUSTED} and {@link #NO} mean answer with the failure.
 */
public final class RetryDecision {
    /** Not retried: the failure is not one the rules retry, the body cannot be replayed, or time is short. */
    public static final long NO = -1;
    /** The rules would retry this failure, but no attempt is left ({@code URX}). */
    public static final long EXHAUSTED = -2;
    /** A Retry-After above this is left to the caller even without a deadline (the route's default deadline). */
    static final long MAX_RETRY_AFTER_NANOS = Defaults.ROUTE_TIMEOUT.toNanos();

    private RetryDecision() {
    }

    /**
     * @param rules           the route's retry rules
     * @param attempt         the number of the try that failed, from 1
     * @param reason          why the rules retry this failure; null when they do not
     * @param retryAfterNanos how long the upstream asked to wait (Retry-After), 0 when it did not
     * @param replayable      whether the request can be sent again (its body is still held, its caller still there)
     * @param now             the proxy's ticker now
     * @param deadline        the ticker value by which the whole exchange must be answered; 0 when none
     * @param random          the source of the backoff's jitter
     * @return the wait before the next try, or {@link #NO} or {@link #EXHAUSTED}
     */
    public static long decide(RetryPolicy rules, int attempt, RetryReason reason, long retryAfterNanos,
                              boolean replayable, long now, long deadline, RandomGenerator random) {
        if (reason == null) {
            return NO;
        }
        if (attempt >= rules.attempts()) {
            return EXHAUSTED;
        }
        if (!replayable) {
            return NO;
        }
        long wait = rules.backoff().delayNanos(attempt, random);
        if (retryAfterNanos > wait) {
            if (retryAfterNanos > MAX_RETRY_AFTER_NANOS) {
                // Longer than a proxy should hold a request: the caller gets the answer and its Retry-After.
                return NO;
            }
            wait = retryAfterNanos;
        }
        if (deadline != 0 && now + wait >= deadline) {
            // The retry could not finish in time: answer now with what we have.
            return NO;
        }
        return wait;
    }
}
