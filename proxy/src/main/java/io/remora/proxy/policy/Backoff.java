package io.remora.proxy.policy;

import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.concurrent.TimeUnit;
import java.util.random.RandomGenerator;

/**
 * Full-jitter exponential backoff: the wait before retry {@code n} is uniform in {@code [0, min(max, base·2ⁿ⁻¹))}.
 * Jitter spreads the retries of many clients that failed together, so they do not hit the upstream in waves.
 */
public final class Backoff {
    private final long baseNanos;
    private final long maxNanos;

    public Backoff(Duration base, Duration max) {
        if (base.isNegative() || base.isZero() || max.compareTo(base) < 0) {
            throw new IllegalArgumentException("backoff needs 0 < base <= max, got " + base + ", " + max);
        }
        this.baseNanos = base.toNanos();
        this.maxNanos = max.toNanos();
    }

    /** The upper bound of the wait before retry {@code retry} (1 for the first retry). */
    public long boundNanos(int retry) {
        int shift = Math.max(0, Math.min(retry - 1, 30));
        long bound = baseNanos << shift;
        return bound <= 0 || bound > maxNanos ? maxNanos : bound;
    }

    /** The wait before retry {@code retry} (1 for the first retry), drawn from {@code random}. */
    public long delayNanos(int retry, RandomGenerator random) {
        return random.nextLong(boundNanos(retry));
    }

    /**
     * The wait a {@code Retry-After} header asks for (delay-seconds or an HTTP-date, RFC 9110 §10.2.3), in
     * nanoseconds; -1 when the header is absent or not understood, 0 when the date is already past.
     */
    public static long retryAfterNanos(CharSequence header, long nowEpochMillis) {
        if (header == null) {
            return -1;
        }
        String value = header.toString().trim();
        if (value.isEmpty()) {
            return -1;
        }
        if (Character.isDigit(value.charAt(0))) {
            long seconds = 0;
            for (int i = 0; i < value.length(); i++) {
                char c = value.charAt(i);
                if (c < '0' || c > '9') {
                    return -1;
                }
                seconds = seconds * 10 + (c - '0');
                if (seconds > 86_400L * 365) {
                    return TimeUnit.DAYS.toNanos(365);
                }
            }
            return TimeUnit.SECONDS.toNanos(seconds);
        }
        try {
            long at = ZonedDateTime.parse(value, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant().toEpochMilli();
            return TimeUnit.MILLISECONDS.toNanos(Math.max(0, at - nowEpochMillis));
        } catch (DateTimeParseException e) {
            return -1;
        }
    }
}
