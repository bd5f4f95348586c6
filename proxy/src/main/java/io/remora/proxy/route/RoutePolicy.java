package io.remora.proxy.route;

import io.remora.config.Route;
import io.remora.proxy.policy.FaultPolicy;
import io.remora.proxy.policy.RetryPolicy;
import io.remora.proxy.policy.Ticker;
import io.remora.proxy.policy.TokenBucket;

/**
 * The request policies of one route rule, compiled once per config and shared by every request the rule matches:
 * deadline, retries, injected faults and the local rate limit. The rate limiter is the only mutable part; it is
 * shared by every connection of the proxy.
 */
public final class RoutePolicy {
    /** Inbound and passthrough traffic: no deadline, no retries, no faults, no rate limit. */
    public static final RoutePolicy NONE = new RoutePolicy(0, RetryPolicy.NONE, null, null);

    private final long timeoutNanos;
    private final RetryPolicy retries;
    private final FaultPolicy fault;
    private final TokenBucket rateLimit;

    private RoutePolicy(long timeoutNanos, RetryPolicy retries, FaultPolicy fault, TokenBucket rateLimit) {
        this.timeoutNanos = timeoutNanos;
        this.retries = retries;
        this.fault = fault;
        this.rateLimit = rateLimit;
    }

    public static RoutePolicy compile(Route.Rule rule, Ticker ticker) {
        Route.RateLimit rl = rule.rateLimit();
        TokenBucket bucket = rl == null ? null : new TokenBucket(rl.maxTokens(),
                rl.tokensPerFill() > 0 ? rl.tokensPerFill() : rl.maxTokens(), rl.fillInterval(), ticker);
        return new RoutePolicy(rule.timeout().toNanos(), new RetryPolicy(rule.retries()), FaultPolicy.of(rule.fault()),
                bucket);
    }

    /** The policies of a rule that sets none: every default applies. */
    public static RoutePolicy defaults(Ticker ticker) {
        return compile(new Route.Rule(null, null, null), ticker);
    }

    /** Deadline of the whole exchange in nanoseconds; 0 means none. */
    public long timeoutNanos() {
        return timeoutNanos;
    }

    public RetryPolicy retries() {
        return retries;
    }

    /** Null when the rule injects no faults. */
    public FaultPolicy fault() {
        return fault;
    }

    /** Null when the rule has no rate limit. */
    public TokenBucket rateLimit() {
        return rateLimit;
    }
}
