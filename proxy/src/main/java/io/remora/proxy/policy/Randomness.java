package io.remora.proxy.policy;

import java.util.concurrent.ThreadLocalRandom;
import java.util.random.RandomGenerator;

/**
 * Where the request path draws its random numbers (fault percentages, retry jitter, weighted backends), so tests
 * can make them a seeded sequence. The production source is the calling thread's {@link ThreadLocalRandom}: no
 * contention between event loops, no allocation.
 */
@FunctionalInterface
public interface Randomness {
    Randomness SYSTEM = ThreadLocalRandom::current;

    /** The generator for the calling thread, for the duration of one decision. */
    RandomGenerator current();

    /** A seeded sequence shared by every caller (tests: one event loop, the same answers every run). */
    static Randomness seeded(long seed) {
        java.util.Random random = new java.util.Random(seed);
        return () -> random;
    }
}
