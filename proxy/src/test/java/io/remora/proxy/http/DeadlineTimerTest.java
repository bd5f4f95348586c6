package io.remora.proxy.http;

import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * One connection's deadline timer across its exchanges, on an embedded loop whose clock, like the proxy's ticker,
 * moves only when the test moves it.
 */
class DeadlineTimerTest {
    private final EmbeddedChannel channel = new EmbeddedChannel();
    private final long[] now = {0};
    private final DeadlineTimer timer;
    private final List<String> expired = new ArrayList<>();

    DeadlineTimerTest() {
        channel.freezeTime();
        timer = new DeadlineTimer(channel.eventLoop(), () -> now[0]);
    }

    @AfterEach
    void tearDown() {
        channel.finishAndReleaseAll();
    }

    private Deadline started(String name, long timeoutMillis) {
        Deadline d = new Deadline(() -> now[0], () -> expired.add(name));
        d.start(TimeUnit.MILLISECONDS.toNanos(timeoutMillis), timer);
        return d;
    }

    private void elapse(long millis) {
        now[0] += TimeUnit.MILLISECONDS.toNanos(millis);
        channel.advanceTimeBy(millis, TimeUnit.MILLISECONDS);
        channel.runScheduledPendingTasks();
    }

    @Test
    void aDeadlineThatPassesRunsOnceAtItsInstant() {
        started("first", 100);
        elapse(99);
        assertThat(expired).isEmpty();
        elapse(1);
        assertThat(expired).containsExactly("first");
        elapse(1_000);
        assertThat(expired).containsExactly("first");
    }

    @Test
    void aCancelledDeadlineNeverRunsAndTheNextExchangeReusesThePendingTimer() {
        Deadline first = started("first", 100);
        elapse(40);
        first.cancel();
        started("second", 100); // due at 140: the timer pending for 100 is kept, and found early when it fires
        elapse(60);
        assertThat(expired).as("at 100 the second still has 40 ms").isEmpty();
        elapse(39);
        assertThat(expired).isEmpty();
        elapse(1);
        assertThat(expired).containsExactly("second");
    }

    @Test
    void anEarlierDeadlineThanThePendingTimerFiresOnTime() {
        started("long", 1_000).cancel();
        started("short", 50);
        elapse(50);
        assertThat(expired).containsExactly("short");
    }

    @Test
    void aClosedStreamsDeadlineNeverRuns() {
        started("gone", 100);
        timer.close();
        elapse(1_000);
        assertThat(expired).isEmpty();
    }

    @Test
    void noTimeoutStartsNothing() {
        Deadline none = started("none", 0);
        assertThat(none.set()).isFalse();
        elapse(1_000);
        assertThat(expired).isEmpty();
    }
}
