package io.remora.proxy.policy;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BackoffTest {
    private final Backoff backoff = new Backoff(Duration.ofMillis(25), Duration.ofMillis(250));

    @Test
    void theBoundDoublesPerRetryUpToTheCap() {
        assertThat(backoff.boundNanos(1)).isEqualTo(TimeUnit.MILLISECONDS.toNanos(25));
        assertThat(backoff.boundNanos(2)).isEqualTo(TimeUnit.MILLISECONDS.toNanos(50));
        assertThat(backoff.boundNanos(4)).isEqualTo(TimeUnit.MILLISECONDS.toNanos(200));
        assertThat(backoff.boundNanos(5)).isEqualTo(TimeUnit.MILLISECONDS.toNanos(250));
        assertThat(backoff.boundNanos(64)).isEqualTo(TimeUnit.MILLISECONDS.toNanos(250));
    }

    @Test
    void delaysAreFullJitterSpreadOverTheWholeRange() {
        SplittableRandom random = new SplittableRandom(7);
        long bound = backoff.boundNanos(3);
        long below = 0;
        long above = 0;
        for (int i = 0; i < 10_000; i++) {
            long d = backoff.delayNanos(3, random);
            assertThat(d).isBetween(0L, bound - 1);
            if (d < bound / 4) {
                below++;
            } else if (d >= bound * 3 / 4) {
                above++;
            }
        }
        // Uniform: about a quarter in each end.
        assertThat(below).isBetween(2_200L, 2_800L);
        assertThat(above).isBetween(2_200L, 2_800L);
    }

    @Test
    void retryAfterInSecondsOrAsAnHttpDate() {
        long now = 1_700_000_000_000L;
        assertThat(Backoff.retryAfterNanos(null, now)).isEqualTo(-1);
        assertThat(Backoff.retryAfterNanos("", now)).isEqualTo(-1);
        assertThat(Backoff.retryAfterNanos("soon", now)).isEqualTo(-1);
        assertThat(Backoff.retryAfterNanos("2x", now)).isEqualTo(-1);
        assertThat(Backoff.retryAfterNanos("2", now)).isEqualTo(TimeUnit.SECONDS.toNanos(2));
        String in3s = DateTimeFormatter.RFC_1123_DATE_TIME.format(
                ZonedDateTime.ofInstant(java.time.Instant.ofEpochMilli(now + 3_000), ZoneOffset.UTC));
        assertThat(Backoff.retryAfterNanos(in3s, now)).isEqualTo(TimeUnit.SECONDS.toNanos(3));
        assertThat(Backoff.retryAfterNanos(in3s, now + 10_000)).isZero();
    }

    @Test
    void rejectsABaseOfZeroOrAMaxBelowTheBase() {
        assertThatThrownBy(() -> new Backoff(Duration.ZERO, Duration.ofMillis(1)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Backoff(Duration.ofMillis(2), Duration.ofMillis(1)))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
