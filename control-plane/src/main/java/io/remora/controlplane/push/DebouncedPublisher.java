package io.remora.controlplane.push;

import io.remora.controlplane.mesh.MeshState;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Holds mesh changes back per the {@link Debouncer} and publishes the newest state when due: changes in quick
 * succession become one push, an endpoint removal goes at once. The first mesh (built once every source has
 * delivered) is published without waiting.
 */
public final class DebouncedPublisher {
    private final Debouncer debouncer;
    private final Clock clock;
    private final ScheduledExecutorService scheduler;
    private final Consumer<MeshState> publish;
    private MeshState latest;
    private MeshState published;
    private ScheduledFuture<?> check;
    private boolean first;
    private Instant pendingSince;

    public DebouncedPublisher(Duration quiet, Duration maxDelay, Clock clock, ScheduledExecutorService scheduler,
                              MeshState initial, Consumer<MeshState> publish) {
        this.debouncer = new Debouncer(quiet, maxDelay);
        this.clock = clock;
        this.scheduler = scheduler;
        this.publish = publish;
        this.latest = initial;
        this.published = initial;
    }

    /** A new mesh state was built. The first is published at once: sidecars are waiting for it. */
    public synchronized void changed(MeshState next) {
        if (!first) {
            first = true;
            latest = next;
            published = next;
            publish.accept(next);
            return;
        }
        boolean urgent = next.removesEndpointsOf(latest) || next.removesEndpointsOf(published);
        latest = next;
        // Convergence counts from the first change a push carries, not the last one merged into it.
        pendingSince = pendingSince == null || next.changedAt().isBefore(pendingSince) ? next.changedAt()
                : pendingSince;
        debouncer.changed(clock.instant(), urgent);
        schedule();
    }

    private void schedule() {
        Instant deadline = debouncer.deadline();
        if (deadline == null) {
            return;
        }
        if (check != null) {
            check.cancel(false);
        }
        long delay = Math.max(0, Duration.between(clock.instant(), deadline).toNanos());
        check = scheduler.schedule(this::fire, delay, TimeUnit.NANOSECONDS);
    }

    private synchronized void fire() {
        if (debouncer.due(clock.instant())) {
            published = pendingSince == null ? latest : latest.changedSince(pendingSince);
            pendingSince = null;
            publish.accept(published);
        } else {
            schedule();
        }
    }
}
