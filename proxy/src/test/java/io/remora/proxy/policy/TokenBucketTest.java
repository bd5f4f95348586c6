package io.remora.proxy.policy;

import io.remora.proxy.testing.ManualTicker;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

class TokenBucketTest {
    private final ManualTicker ticker = new ManualTicker();

    @Test
    void startsFullThenRefusesUntilTheNextFill() {
        TokenBucket bucket = new TokenBucket(3, 1, Duration.ofSeconds(1), ticker);
        assertThat(bucket.tryAcquire()).isTrue();
        assertThat(bucket.tryAcquire()).isTrue();
        assertThat(bucket.tryAcquire()).isTrue();
        assertThat(bucket.tryAcquire()).isFalse();
        ticker.advance(Duration.ofMillis(999));
        assertThat(bucket.tryAcquire()).isFalse();
        ticker.advance(Duration.ofMillis(1));
        assertThat(bucket.tryAcquire()).isTrue();
        assertThat(bucket.tryAcquire()).isFalse();
    }

    @Test
    void fillsNeverOverflowTheBucket() {
        TokenBucket bucket = new TokenBucket(5, 2, Duration.ofMillis(100), ticker);
        ticker.advance(Duration.ofDays(400));
        assertThat(bucket.tokens()).isEqualTo(5);
        for (int i = 0; i < 5; i++) {
            bucket.tryAcquire();
        }
        ticker.advance(Duration.ofMillis(250));
        assertThat(bucket.tokens()).isEqualTo(4);
    }

    @Test
    void concurrentTakersNeverGetMoreThanTheBucketHolds() throws Exception {
        TokenBucket bucket = new TokenBucket(1_000, 1, Duration.ofHours(1), ticker);
        java.util.concurrent.atomic.AtomicInteger got = new java.util.concurrent.atomic.AtomicInteger();
        Thread[] threads = new Thread[4];
        for (int t = 0; t < threads.length; t++) {
            threads[t] = new Thread(() -> {
                for (int i = 0; i < 1_000; i++) {
                    if (bucket.tryAcquire()) {
                        got.incrementAndGet();
                    }
                }
            });
            threads[t].start();
        }
        for (Thread t : threads) {
            t.join();
        }
        assertThat(got.get()).isEqualTo(1_000);
    }
}
