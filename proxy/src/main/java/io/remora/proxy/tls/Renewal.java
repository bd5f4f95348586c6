package io.remora.proxy.tls;

import java.time.Duration;
import java.time.Instant;
import java.util.random.RandomGenerator;

/**
 * When to renew a certificate: at half its lifetime, give or take 5 % of it, so a fleet issued together does not
 * renew together, and a failed renewal still has half a lifetime of retries before anything breaks.
 */
final class Renewal {
    static final double AT = 0.5;
    static final double JITTER = 0.05;
    /** Retry a failed renewal this soon (but never later than the next regular attempt would be). */
    static final Duration RETRY = Duration.ofSeconds(30);

    private Renewal() {
    }

    /** How long from {@code now} until the certificate valid over [notBefore, notAfter] should be renewed. */
    static Duration delay(Instant now, Instant notBefore, Instant notAfter, RandomGenerator random) {
        long lifetime = Duration.between(notBefore, notAfter).toMillis();
        double share = AT + (random.nextDouble() * 2 - 1) * JITTER;
        Instant at = notBefore.plusMillis((long) (lifetime * share));
        Duration d = Duration.between(now, at);
        return d.isNegative() ? Duration.ZERO : d;
    }
}
