package io.remora.controlplane.kubernetes;

import io.remora.log.Log;

import java.time.Clock;
import java.time.Instant;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * The source's one thread. Informer callbacks arrive on the client's threads, in bursts (a rollout changes many
 * pods and slices at once); each only asks for a rebuild here, and requests that arrive while one is already waiting
 * are folded into it. So at most one rebuild waits and one runs, every delivery happens on this thread (never two at
 * once), and the last change is always followed by a rebuild that sees it. The rebuild is told when the first change
 * it covers was seen, so convergence is measured from the change, not from the rebuild. Other work of the source
 * (status writes) runs on the same thread, in order with the deliveries.
 */
final class CoalescingWorker implements AutoCloseable {
    private final Clock clock;
    private final Consumer<Instant> rebuild;
    private final ExecutorService executor;
    /** When the oldest change not yet picked up by a rebuild was seen; null when none is waiting. */
    private final AtomicReference<Instant> pendingSince = new AtomicReference<>();

    /**
     * @param rebuild runs on the worker's thread with the time the first change it covers was seen
     */
    CoalescingWorker(String threadName, Clock clock, Consumer<Instant> rebuild) {
        this.clock = clock;
        this.rebuild = rebuild;
        this.executor = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, threadName);
            t.setDaemon(true);
            return t;
        });
    }

    /** Asks for a rebuild; does nothing when one is already waiting (it will see this change too). */
    void request() {
        if (pendingSince.compareAndSet(null, clock.instant())) {
            submit(this::runRebuild);
        }
    }

    /** Runs {@code task} on the worker's thread after what is queued; dropped once closed. */
    void execute(Runnable task) {
        submit(() -> {
            try {
                task.run();
            } catch (RuntimeException e) {
                Log.error("kubernetes_source_task_failed", e);
            }
        });
    }

    private void runRebuild() {
        Instant since = pendingSince.getAndSet(null);
        if (since == null) {
            return;
        }
        try {
            rebuild.accept(since);
        } catch (RuntimeException e) {
            Log.error("kubernetes_source_rebuild_failed", e);
        }
    }

    private void submit(Runnable task) {
        try {
            executor.execute(task);
        } catch (RejectedExecutionException e) {
            // closed: the source is stopping, nothing is delivered any more
        }
    }

    @Override
    public void close() {
        executor.shutdownNow();
        try {
            executor.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
