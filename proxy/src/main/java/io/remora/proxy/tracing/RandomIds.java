package io.remora.proxy.tracing;

import io.opentelemetry.api.trace.SpanId;
import io.opentelemetry.api.trace.TraceId;
import io.opentelemetry.sdk.trace.IdGenerator;
import io.remora.proxy.policy.Randomness;

import java.util.random.RandomGenerator;

/**
 * Trace and span ids from the proxy's injected {@link Randomness}: the SDK's spans and the ids written for requests
 * that are not sampled come from one source, so a test with a seeded source sees the same ids every run. Ids are
 * never zero (zero means "none" in every format).
 */
final class RandomIds implements IdGenerator {
    private final Randomness randomness;

    RandomIds(Randomness randomness) {
        this.randomness = randomness;
    }

    /** A random id that is not zero. */
    long next() {
        RandomGenerator random = randomness.current();
        long id;
        do {
            id = random.nextLong();
        } while (id == 0);
        return id;
    }

    @Override
    public String generateSpanId() {
        return SpanId.fromLong(next());
    }

    @Override
    public String generateTraceId() {
        return TraceId.fromLongs(randomness.current().nextLong(), next());
    }
}
