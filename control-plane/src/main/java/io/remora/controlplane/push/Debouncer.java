package io.remora.controlplane.push;

import java.time.Duration;
import java.time.Instant;

/**
 * When to push after changes: once the changes have been quiet for {@code quiet}, but never later than
 * {@code maxDelay} after the first of them, so a steady trickle of changes cannot hold pushes back for ever. An
 * urgent change (an endpoint removed: traffic may be going to a pod that is gone) is due at once. Pure: the caller
 * passes the time and schedules a check at {@link #deadline()}; not thread-safe.
 */
public final class Debouncer {
    private final Duration quiet;
    private final Duration maxDelay;
    private Instant first;
    private Instant last;
    private boolean urgent;

    public Debouncer(Duration quiet, Duration maxDelay) {
        this.quiet = quiet;
        this.maxDelay = maxDelay;
    }

    /** Records a change seen at {@code now}. */
    public void changed(Instant now, boolean urgent) {
        if (first == null) {
            first = now;
        }
        last = now;
        this.urgent |= urgent;
    }

    /** When the pending changes are due, or null when none are pending. */
    public Instant deadline() {
        if (first == null) {
            return null;
        }
        if (urgent) {
            return last;
        }
        Instant quietEnd = last.plus(quiet);
        Instant latest = first.plus(maxDelay);
        return quietEnd.isBefore(latest) ? quietEnd : latest;
    }

    /** Whether the pending changes are due at {@code now}; if so they are taken (the caller pushes). */
    public boolean due(Instant now) {
        Instant d = deadline();
        if (d == null || now.isBefore(d)) {
            return false;
        }
        first = null;
        last = null;
        urgent = false;
        return true;
    }
}
