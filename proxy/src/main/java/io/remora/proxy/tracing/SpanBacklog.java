package io.remora.proxy.tracing;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * The spans ended but not yet handed to the exporter, held to a bound, and what became of every span: exported, or
 * dropped (the queue was full, or the export failed). The SDK's batch processor drops silently when its queue is
 * full; this count is taken in front of it ({@link BoundedSpanProcessor}) and behind it
 * ({@link CountingSpanExporter}), so the batch processor's own queue, as large as this bound, never overflows and
 * every span lost is counted here.
 */
final class SpanBacklog {
    private final int capacity;
    private final AtomicInteger waiting = new AtomicInteger();
    private final LongAdder dropped = new LongAdder();
    private final LongAdder exported = new LongAdder();

    SpanBacklog(int capacity) {
        this.capacity = capacity;
    }

    /** Takes a span in, or counts it dropped when {@code capacity} spans already wait. Never waits. */
    boolean admit() {
        if (waiting.incrementAndGet() > capacity) {
            waiting.decrementAndGet();
            dropped.increment();
            return false;
        }
        return true;
    }

    /** {@code spans} left the queue for an export request. */
    void handedOver(int spans) {
        waiting.addAndGet(-spans);
    }

    /** The collector took {@code spans}. */
    void exported(int spans) {
        exported.add(spans);
    }

    /** An export of {@code spans} failed (unreachable collector, timeout, refusal): they are lost. */
    void lost(int spans) {
        dropped.add(spans);
    }

    /** Spans waiting for export. */
    int waiting() {
        return waiting.get();
    }

    /** Spans dropped so far: queue full or export failed. */
    long dropped() {
        return dropped.sum();
    }

    /** Spans the collector took so far. */
    long exported() {
        return exported.sum();
    }
}
