package io.remora.controlplane.kubernetes;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** The source's thread: a burst of changes while a rebuild runs becomes one more rebuild, never a parallel one. */
class KubernetesCoalescingWorkerTest {
    private static final Instant T1 = Instant.parse("2026-03-01T10:00:01Z");
    private static final Instant T2 = Instant.parse("2026-03-01T10:00:02Z");
    private static final Instant T3 = Instant.parse("2026-03-01T10:00:03Z");

    private final SettableClock clock = new SettableClock();
    private CoalescingWorker worker;

    @AfterEach
    void tearDown() {
        if (worker != null) {
            worker.close();
        }
    }

    @Test
    void changesDuringARebuildBecomeOneMoreRebuildStampedWithTheFirstOfThem() throws Exception {
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        List<Instant> runs = new CopyOnWriteArrayList<>();
        List<String> threads = new CopyOnWriteArrayList<>();
        AtomicInteger running = new AtomicInteger();
        AtomicInteger mostAtOnce = new AtomicInteger();
        worker = new CoalescingWorker("test-worker", clock, since -> {
            mostAtOnce.accumulateAndGet(running.incrementAndGet(), Math::max);
            runs.add(since);
            threads.add(Thread.currentThread().getName());
            if (runs.size() == 1) {
                entered.countDown();
                await(release);
            }
            running.decrementAndGet();
        });

        clock.now = T1;
        worker.request();
        await(entered);
        clock.now = T2;
        worker.request();
        clock.now = T3;
        for (int i = 0; i < 10; i++) {
            worker.request();
        }
        release.countDown();
        CountDownLatch drained = new CountDownLatch(1);
        worker.execute(drained::countDown);
        await(drained);

        assertThat(runs).containsExactly(T1, T2);
        assertThat(mostAtOnce.get()).isEqualTo(1);
        assertThat(threads).containsOnly("test-worker");
    }

    @Test
    void aFailedRebuildDoesNotStopTheWorker() throws Exception {
        List<Instant> runs = new CopyOnWriteArrayList<>();
        worker = new CoalescingWorker("test-worker", clock, since -> {
            runs.add(since);
            if (runs.size() == 1) {
                throw new IllegalStateException("boom");
            }
        });
        clock.now = T1;
        worker.request();
        CountDownLatch first = new CountDownLatch(1);
        worker.execute(first::countDown);
        await(first);

        clock.now = T2;
        worker.request();
        CountDownLatch second = new CountDownLatch(1);
        worker.execute(second::countDown);
        await(second);

        assertThat(runs).containsExactly(T1, T2);
    }

    @Test
    void aClosedWorkerIgnoresRequests() throws InterruptedException {
        java.util.concurrent.atomic.AtomicInteger ran = new java.util.concurrent.atomic.AtomicInteger();
        worker = new CoalescingWorker("test-worker", clock, since -> ran.incrementAndGet());
        worker.close();

        worker.request();
        worker.execute(ran::incrementAndGet);
        Thread.sleep(200);
        assertThat(ran.get()).as("nothing runs on a closed worker, and nothing throws").isZero();
    }

    private static void await(CountDownLatch latch) {
        try {
            assertThat(latch.await(MockCluster.WAIT.toSeconds(), TimeUnit.SECONDS)).as("waited for the worker")
                    .isTrue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** A clock the test sets by hand. */
    private static final class SettableClock extends Clock {
        volatile Instant now = Instant.EPOCH;

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }
}
