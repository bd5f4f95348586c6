package io.remora.proxy.log;

import io.remora.log.JsonWriter;

import java.util.Objects;
import java.util.concurrent.atomic.LongAdder;

/**
 * One JSON line per request on the log writer. Formatting runs on the calling event loop into a reused builder;
 * writing happens on the writer's thread. A line the writer cannot take is dropped and counted, never waited for.
 */
public final class AccessLog {
    private final JsonWriter writer;
    private final boolean enabled;
    private final AccessLogFormat format;
    private final LongAdder dropped = new LongAdder();

    /** A log writing every field ({@link AccessLogFormat#DEFAULT}). */
    public AccessLog(JsonWriter writer, boolean enabled) {
        this(writer, enabled, AccessLogFormat.DEFAULT);
    }

    /** A log writing the fields {@code format} was compiled for (a Sidecar's {@code accessLogFields}). */
    public AccessLog(JsonWriter writer, boolean enabled, AccessLogFormat format) {
        this.writer = writer;
        this.enabled = enabled;
        this.format = Objects.requireNonNull(format, "format");
        if (enabled && writer == null) {
            throw new IllegalArgumentException("an enabled access log needs a writer");
        }
    }

    public boolean enabled() {
        return enabled;
    }

    public void log(StreamInfo info) {
        if (!enabled) {
            return;
        }
        if (!writer.offer(format.format(info))) {
            dropped.increment();
        }
    }

    /** Access log lines dropped because the writer's queue was full. */
    public long dropped() {
        return dropped.sum();
    }

    /**
     * The JSON line for {@code e} with every field ({@link AccessLogFormat#DEFAULT}), without a newline: Envoy's
     * default fields under their JSON names, each left out when it has no value. {@code type} tells access-log
     * lines from the operational log's ({@code "type":"log"}) on the same stdout.
     */
    public static String format(StreamInfo e) {
        return AccessLogFormat.DEFAULT.format(e);
    }
}
