package io.remora.proxy;

import io.remora.proxy.policy.Randomness;
import io.remora.proxy.policy.Ticker;

import java.time.Clock;
import java.util.Objects;

/**
 * What the request path reads time and chance from: a monotonic ticker (deadlines, durations, budgets, outlier
 * detection), a wall clock (access-log timestamps, {@code Retry-After} dates) and a random source (fault
 * percentages, retry jitter, weighted backends). Production uses the system's; tests pass a seeded source, so a
 * fault percentage gives the same answers every run.
 */
public record ProxyEnvironment(Ticker ticker, Clock clock, Randomness randomness) {
    public static final ProxyEnvironment SYSTEM =
            new ProxyEnvironment(Ticker.SYSTEM, Clock.systemUTC(), Randomness.SYSTEM);

    public ProxyEnvironment {
        Objects.requireNonNull(ticker, "ticker");
        Objects.requireNonNull(clock, "clock");
        Objects.requireNonNull(randomness, "randomness");
    }

    /** The system's time with a seeded random source. */
    public static ProxyEnvironment seeded(long seed) {
        return new ProxyEnvironment(Ticker.SYSTEM, Clock.systemUTC(), Randomness.seeded(seed));
    }
}
