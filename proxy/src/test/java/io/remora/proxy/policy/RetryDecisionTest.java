package io.remora.proxy.policy;

import io.remora.config.Route;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.random.RandomGenerator;

import static org.assertj.core.api.Assertions.assertThat;

/** The retry decision as the pure function it is: every branch, with a fixed random source and given times. */
class RetryDecisionTest {
    private static final long MS = 1_000_000L;
    /** Three attempts, backoff drawn below 25 ms then 50 ms, capped at 250 ms. */
    private static final RetryPolicy THREE = new RetryPolicy(new Route.Retries(3, null, null, null, null, false,
            new Route.Backoff(Duration.ofMillis(25), Duration.ofMillis(250))));
    /** Always draws the highest value below the bound: the wait is the backoff's bound less one. */
    private static final RandomGenerator TOP = new RandomGenerator() {
        @Override
        public long nextLong() {
            return 0;
        }

        @Override
        public long nextLong(long bound) {
            return bound - 1;
        }
    };

    private static long decide(int attempt, RetryReason reason, long retryAfter, boolean replayable, long now,
                               long deadline) {
        return RetryDecision.decide(THREE, attempt, reason, retryAfter, replayable, now, deadline, TOP);
    }

    @Test
    void aFailureTheRulesDoNotRetryIsAnsweredWithoutLookingFurther() {
        assertThat(decide(1, null, 0, true, 0, 0)).isEqualTo(RetryDecision.NO);
    }

    @Test
    void aRetriedFailureWaitsTheJitteredBackoffOfItsRetry() {
        assertThat(decide(1, RetryReason.CONNECT_FAILURE, 0, true, 0, 0)).isEqualTo(25 * MS - 1);
        assertThat(decide(2, RetryReason.CONNECT_FAILURE, 0, true, 0, 0)).isEqualTo(50 * MS - 1);
    }

    @Test
    void theLastAttemptFailingIsExhaustionWhichTheCallerFlagsUrx() {
        assertThat(decide(3, RetryReason.CONNECT_FAILURE, 0, true, 0, 0)).isEqualTo(RetryDecision.EXHAUSTED);
        assertThat(decide(4, RetryReason.GATEWAY_ERROR, 0, true, 0, 0)).isEqualTo(RetryDecision.EXHAUSTED);
    }

    @Test
    void exhaustionIsToldEvenWhenTheBodyCouldNotBeReplayed() {
        // The rules ran out first: the caller still learns URX.
        assertThat(decide(3, RetryReason.CONNECT_FAILURE, 0, false, 0, 0)).isEqualTo(RetryDecision.EXHAUSTED);
        assertThat(decide(1, RetryReason.CONNECT_FAILURE, 0, false, 0, 0)).isEqualTo(RetryDecision.NO);
    }

    @Test
    void aLongerRetryAfterReplacesTheBackoffAndOneAboveTheRouteDefaultIsLeftToTheCaller() {
        assertThat(decide(1, RetryReason.GATEWAY_ERROR, 200 * MS, true, 0, 0)).isEqualTo(200 * MS);
        assertThat(decide(1, RetryReason.GATEWAY_ERROR, MS, true, 0, 0)).isEqualTo(25 * MS - 1);
        long tooLong = RetryDecision.MAX_RETRY_AFTER_NANOS + 1;
        assertThat(decide(1, RetryReason.GATEWAY_ERROR, tooLong, true, 0, 0)).isEqualTo(RetryDecision.NO);
    }

    @Test
    void aRetryThatCouldNotStartBeforeTheDeadlineIsNotMade() {
        long now = 1_000 * MS;
        assertThat(decide(1, RetryReason.CONNECT_FAILURE, 0, true, now, now + 25 * MS)).isEqualTo(25 * MS - 1);
        assertThat(decide(1, RetryReason.CONNECT_FAILURE, 0, true, now, now + 25 * MS - 1))
                .isEqualTo(RetryDecision.NO);
        assertThat(decide(1, RetryReason.GATEWAY_ERROR, 100 * MS, true, now, now + 50 * MS))
                .isEqualTo(RetryDecision.NO);
    }

    @Test
    void noRetriesConfiguredMeansTheFirstFailureExhaustsThem() {
        RetryPolicy one = new RetryPolicy(new Route.Retries(1, null, List.of(), null, null, false, null));
        assertThat(RetryDecision.decide(one, 1, RetryReason.CONNECT_FAILURE, 0, true, 0, 0, TOP))
                .isEqualTo(RetryDecision.EXHAUSTED);
    }
}
