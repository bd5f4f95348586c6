package io.remora.proxy.tracing;

import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;

import java.util.Collection;

/**
 * Behind the SDK's batch processor, on its worker thread: each batch leaves the {@link SpanBacklog} as it is handed
 * to the exporter, and is counted exported or lost when the export completes.
 */
final class CountingSpanExporter implements SpanExporter {
    private final SpanExporter exporter;
    private final SpanBacklog backlog;

    CountingSpanExporter(SpanExporter exporter, SpanBacklog backlog) {
        this.exporter = exporter;
        this.backlog = backlog;
    }

    @Override
    public CompletableResultCode export(Collection<SpanData> spans) {
        int count = spans.size();
        backlog.handedOver(count);
        CompletableResultCode result;
        try {
            result = exporter.export(spans);
        } catch (RuntimeException e) {
            backlog.lost(count);
            throw e;
        }
        result.whenComplete(() -> {
            if (result.isSuccess()) {
                backlog.exported(count);
            } else {
                backlog.lost(count);
            }
        });
        return result;
    }

    @Override
    public CompletableResultCode flush() {
        return exporter.flush();
    }

    @Override
    public CompletableResultCode shutdown() {
        return exporter.shutdown();
    }
}
