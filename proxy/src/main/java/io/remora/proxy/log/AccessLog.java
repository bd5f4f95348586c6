package io.remora.proxy.log;

import io.remora.log.JsonLine;
import io.remora.log.JsonWriter;

import java.util.concurrent.atomic.LongAdder;

/**
 * One JSON line per request on the log writer. Formatting runs on the calling event loop into a reused builder;
 * writing happens on the writer's thread. A line the writer cannot take is dropped and counted, never waited for.
 */
public final class AccessLog {
    private final JsonWriter writer;
    private final boolean enabled;
    private final LongAdder dropped = new LongAdder();

    public AccessLog(JsonWriter writer, boolean enabled) {
        this.writer = writer;
        this.enabled = enabled;
        if (enabled && writer == null) {
            throw new IllegalArgumentException("an enabled access log needs a writer");
        }
    }

    public boolean enabled() {
        return enabled;
    }

    public void log(AccessLogEntry entry) {
        if (!enabled) {
            return;
        }
        if (!writer.offer(format(entry))) {
            dropped.increment();
        }
    }

    /** Access log lines dropped because the writer's queue was full. */
    public long dropped() {
        return dropped.sum();
    }

    /** The JSON line for {@code e}, without a newline. */
    public static String format(AccessLogEntry e) {
        return JsonLine.begin()
                .time("time", e.startEpochMillis())
                .string("direction", e.direction())
                .string("protocol", e.protocol())
                .string("method", e.method())
                .string("authority", e.authority())
                .string("path", e.path())
                .number("status", e.status())
                .string("grpc_status", e.grpcStatus())
                .string("flags", e.flags())
                .millis("duration_ms", e.durationMicros())
                .string("upstream_cluster", e.upstreamCluster())
                .string("upstream_host", e.upstreamHost())
                .number("bytes_received", e.bytesReceived())
                .number("bytes_sent", e.bytesSent())
                .string("request_id", e.requestId())
                .string("downstream_remote", e.downstreamRemote())
                .string("route", e.route())
                .string("user_agent", e.userAgent())
                .string("peer_principal", e.peerPrincipal())
                .string("details", e.details())
                .finish();
    }
}
