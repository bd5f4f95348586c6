package io.remora.proxy.tracing;

import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.ReadWriteSpan;
import io.opentelemetry.sdk.trace.ReadableSpan;
import io.opentelemetry.sdk.trace.SpanProcessor;

/**
 * In front of the SDK's batch processor: an ended span goes on only when the {@link SpanBacklog} has room, and is
 * dropped and counted otherwise. Runs on the event loop that ends the span, and never waits.
 */
final class BoundedSpanProcessor implements SpanProcessor {
    private final SpanProcessor batch;
    private final SpanBacklog backlog;

    BoundedSpanProcessor(SpanProcessor batch, SpanBacklog backlog) {
        this.batch = batch;
        this.backlog = backlog;
    }

    @Override
    public void onStart(Context parentContext, ReadWriteSpan span) {
        batch.onStart(parentContext, span);
    }

    @Override
    public boolean isStartRequired() {
        return batch.isStartRequired();
    }

    @Override
    public void onEnd(ReadableSpan span) {
        if (backlog.admit()) {
            batch.onEnd(span);
        }
    }

    @Override
    public boolean isEndRequired() {
        return true;
    }

    @Override
    public CompletableResultCode shutdown() {
        return batch.shutdown();
    }

    @Override
    public CompletableResultCode forceFlush() {
        return batch.forceFlush();
    }
}
