package io.remora.proxy.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.remora.proxy.policy.ConcurrencyLimits;
import io.remora.proxy.policy.OutlierDetector;
import io.remora.proxy.policy.RetryReason;
import io.remora.proxy.policy.TimeoutKind;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * The {@code remora_*} meters of one destination service's resilience policies: tries, retries by reason, budget
 * exhaustion, circuit-breaker overflow by limit, timeouts by kind, outlier ejections, rate limiting and injected
 * faults. Built once per service and cached by {@link ProxyMetrics#policy}; every counter is resolved at build time
 * so recording is one add.
 */
public final class PolicyMeters {
    private final Counter attempts;
    private final Counter[] retries;
    private final Counter budgetExhausted;
    private final Counter[] overflow;
    private final Counter[] timeouts;
    private final Counter[] ejections;
    private final Counter returns;
    private final AtomicInteger ejected = new AtomicInteger();
    private final Counter rateLimited;
    private final Counter faultAborts;
    private final Counter faultDelays;

    PolicyMeters(MeterRegistry registry, Tags service) {
        attempts = Counter.builder("remora.upstream.attempts").tags(service)
                .description("Tries sent upstream, first tries and retries").register(registry);
        retries = new Counter[RetryReason.values().length];
        for (RetryReason r : RetryReason.values()) {
            retries[r.ordinal()] = Counter.builder("remora.retries").tags(service).tag("reason", r.label())
                    .description("Retries made, by the condition that caused them").register(registry);
        }
        budgetExhausted = Counter.builder("remora.retry.budget.exhausted").tags(service)
                .description("Retries not made because the service's retry budget was spent").register(registry);
        overflow = new Counter[ConcurrencyLimits.Limit.values().length];
        for (ConcurrencyLimits.Limit l : ConcurrencyLimits.Limit.values()) {
            overflow[l.ordinal()] = Counter.builder("remora.overflow").tags(service).tag("limit", l.label())
                    .description("Requests (or retries) refused by a circuit-breaker limit").register(registry);
        }
        timeouts = new Counter[TimeoutKind.values().length];
        for (TimeoutKind k : TimeoutKind.values()) {
            timeouts[k.ordinal()] = Counter.builder("remora.timeouts").tags(service).tag("kind", k.label())
                    .description("Timeouts, by kind").register(registry);
        }
        ejections = new Counter[OutlierDetector.Reason.values().length];
        for (OutlierDetector.Reason r : OutlierDetector.Reason.values()) {
            ejections[r.ordinal()] = Counter.builder("remora.outlier.ejections").tags(service)
                    .tag("reason", r.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-'))
                    .description("Endpoints ejected by outlier detection").register(registry);
        }
        returns = Counter.builder("remora.outlier.returns").tags(service)
                .description("Ejected endpoints returned to service").register(registry);
        Gauge.builder("remora.outlier.ejected.endpoints", ejected, AtomicInteger::get).tags(service)
                .description("Endpoints ejected now").register(registry);
        rateLimited = Counter.builder("remora.rate.limited").tags(service)
                .description("Requests answered 429 by the local rate limit").register(registry);
        faultAborts = Counter.builder("remora.faults.injected").tags(service).tag("kind", "abort")
                .description("Requests that got an injected fault").register(registry);
        faultDelays = Counter.builder("remora.faults.injected").tags(service).tag("kind", "delay")
                .description("Requests that got an injected fault").register(registry);
    }

    /** Meters in a registry of their own, for route tables built without a proxy (tests, validation). */
    public static PolicyMeters unregistered(String service) {
        return new PolicyMeters(new SimpleMeterRegistry(), Tags.of("destination_service", service));
    }

    public void attempt() {
        attempts.increment();
    }

    public void retry(RetryReason reason) {
        retries[reason.ordinal()].increment();
    }

    public void budgetExhausted() {
        budgetExhausted.increment();
    }

    public void overflow(ConcurrencyLimits.Limit limit) {
        overflow[limit.ordinal()].increment();
    }

    public void timeout(TimeoutKind kind) {
        timeouts[kind.ordinal()].increment();
    }

    public void ejected(OutlierDetector.Reason reason) {
        ejections[reason.ordinal()].increment();
        ejected.incrementAndGet();
    }

    public void returned() {
        returns.increment();
        ejected.decrementAndGet();
    }

    /** The ejected count after a snapshot was applied (ejections carry over; endpoints that left do not). */
    public void ejectedNow(int count) {
        ejected.set(count);
    }

    public void rateLimited() {
        rateLimited.increment();
    }

    public void faultAbort() {
        faultAborts.increment();
    }

    public void faultDelay() {
        faultDelays.increment();
    }
}
