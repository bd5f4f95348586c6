package io.remora.proxy.tracing;

import io.remora.proxy.policy.Randomness;

/**
 * Parent-based sampling, as Envoy and Istio sample: a decision the caller made (sampled or not) is kept, so a trace
 * is whole or absent, never half recorded; a request that brings no decision (no context, a malformed one, or B3's
 * deferred) starts a sampled trace with probability {@code percent}. Chance comes from the proxy's injected
 * {@link Randomness}, so tests get the same answers every run.
 */
final class SamplingPolicy {
    private final double percent;
    private final Randomness randomness;

    /** @param percent 0-100 */
    SamplingPolicy(double percent, Randomness randomness) {
        if (!(percent >= 0 && percent <= 100)) {
            throw new IllegalArgumentException("sampling percentage " + percent + " is not 0-100");
        }
        this.percent = percent;
        this.randomness = randomness;
    }

    /** The decision for a request that arrived with {@code incoming} (null: no trace header). */
    TraceContext.Decision decide(TraceContext incoming) {
        if (incoming != null && incoming.decision() != TraceContext.Decision.DEFERRED) {
            return incoming.decision();
        }
        return randomness.current().nextDouble() * 100 < percent ? TraceContext.Decision.SAMPLED
                : TraceContext.Decision.NOT_SAMPLED;
    }
}
