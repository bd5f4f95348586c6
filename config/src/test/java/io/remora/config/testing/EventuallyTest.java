package io.remora.config.testing;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A wait ends when its condition holds, and fails (never returns quietly) when it does not in time. */
class EventuallyTest {
    private static final Duration LONG = Duration.ofSeconds(10);
    private static final Duration SHORT = Duration.ofMillis(100);

    @Test
    void aCheckIsRunUntilItPassesAndItsLastFailureIsThrownAtTheDeadline() throws Exception {
        AtomicInteger tries = new AtomicInteger();
        Eventually.eventually(LONG, () -> assertThat(tries.incrementAndGet()).isEqualTo(3));
        assertThat(tries).hasValue(3);

        assertThatThrownBy(() -> Eventually.within(SHORT).reporting(() -> "the output")
                .untilPasses(() -> assertThat(1).as("one").isEqualTo(2)))
                .isInstanceOf(AssertionError.class).hasMessageContaining("[one]")
                .satisfies(e -> assertThat(e.getSuppressed()[0]).hasMessage("the output"));
    }

    @Test
    void aConditionThatNeverHoldsFailsNamingItAndTheLastException() {
        AtomicInteger tries = new AtomicInteger();
        assertThatThrownBy(() -> Eventually.within(SHORT).until("the moon", () -> {
            if (tries.incrementAndGet() % 2 == 0) {
                throw new java.io.IOException("refused");
            }
            return false;
        })).isInstanceOf(AssertionError.class).hasMessageStartingWith("not within 100 ms: the moon");
        assertThat(tries.get()).isGreaterThan(1);
    }

    @Test
    void whatIsFoundIsReturnedAndAHopelessWaitFailsAtOnce() throws Exception {
        AtomicInteger tries = new AtomicInteger();
        assertThat(Eventually.within(LONG).untilFound("two tries",
                () -> tries.incrementAndGet() >= 2 ? Optional.of("found") : Optional.empty())).isEqualTo("found");

        long start = System.nanoTime();
        assertThatThrownBy(() -> Eventually.within(LONG).unless(() -> true).reporting(() -> "it exited")
                .until("a dead process", () -> false))
                .hasMessage("gave up waiting for a dead process\nit exited");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(LONG);
    }

    @Test
    void aCounterThatStopsIsSettledAndOneThatNeverMovesIsNot() throws Exception {
        AtomicLong counter = new AtomicLong();
        Thread producer = new Thread(() -> {
            for (int i = 0; i < 5; i++) {
                counter.addAndGet(10);
                try {
                    Thread.sleep(5);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        producer.start();
        assertThat(Eventually.within(LONG).untilStalled("the producer", counter::get, Duration.ofMillis(200)))
                .isEqualTo(50);
        producer.join();

        assertThatThrownBy(() -> Eventually.within(Duration.ofMillis(300)).untilStalled("nothing", () -> 0,
                Duration.ofMillis(50))).hasMessageContaining("nothing to stall; at 0");
    }
}
