package io.remora.proxy.http;

import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * One connection's deadline timer across its exchanges (one after another on HTTP/1.1, side by side on HTTP/2), on an embedded loop whose clock, like the proxy's ticker,
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

    /** An HTTP/2 connection's streams: each deadline runs at its own instant, whatever order they were armed in. */
    @Test
    void deadlinesOfConcurrentStreamsEachRunAtTheirInstant() {
        started("b", 300);
        started("a", 100);
        Deadline cancelled = started("cancelled", 150);
        started("c", 300);
        elapse(100);
        assertThat(expired).containsExactly("a");
        cancelled.cancel();
        elapse(199);
        assertThat(expired).containsExactly("a");
        elapse(1);
        assertThat(expired).containsExactly("a", "b", "c");
        elapse(1_000);
        assertThat(expired).containsExactly("a", "b", "c");
    }

    /** Later streams' deadlines are only linked: the timer pending for the first one is kept, and moved on from it. */
    @Test
    void aDeadlineArmedAfterThePendingTimerReusesIt() {
        Deadline first = started("first", 100);
        started("second", 100); // at 0 too: due at 100 with the first
        elapse(50);
        started("third", 100); // due at 150
        first.cancel();
        elapse(50);
        assertThat(expired).containsExactly("second");
        elapse(49);
        assertThat(expired).containsExactly("second");
        elapse(1);
        assertThat(expired).containsExactly("second", "third");
    }

    /** What a passed deadline runs may end others on the connection (a cut connection ends all its exchanges). */
    @Test
    void aDeadlineThatCancelsAnotherWhenItRunsStopsIt() {
        Deadline[] other = new Deadline[1];
        Deadline cutting = new Deadline(() -> now[0], () -> {
            expired.add("cutting");
            other[0].cancel();
        });
        cutting.start(TimeUnit.MILLISECONDS.toNanos(100), timer);
        other[0] = started("other", 100);
        elapse(100);
        assertThat(expired).containsExactly("cutting");
        elapse(1_000);
        assertThat(expired).containsExactly("cutting");
    }

    @Test
    void closingTheConnectionStopsEveryDeadline() {
        started("one", 100);
        started("two", 200);
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
