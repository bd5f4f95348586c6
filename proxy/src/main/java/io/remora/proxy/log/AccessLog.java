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

    public void log(StreamInfo info) {
        if (!enabled) {
            return;
        }
        if (!writer.offer(format(info))) {
            dropped.increment();
        }
    }

    /** Access log lines dropped because the writer's queue was full. */
    public long dropped() {
        return dropped.sum();
    }

    /**
     * The JSON line for {@code e}, without a newline: Envoy's default fields under their JSON names, in this order,
     * each left out when it has no value. {@code type} tells access-log lines from the operational log's
     * ({@code "type":"log"}) on the same stdout.
     */
    public static String format(StreamInfo e) {
        long serviceNanos = e.upstreamServiceNanos();
        JsonLine line = JsonLine.begin()
                .time("time", e.startEpochMillis())
                .string("type", "access")
                .string("direction", e.direction())
                .string("protocol", e.protocol())
                .string("method", e.method())
                .string("authority", e.authority())
                .string("path", e.path())
                .number("status", e.status())
                .string("grpc_status", e.grpcStatus().isEmpty() ? null : e.grpcStatus())
                .string("flags", e.flagsText())
                .string("response_code_details", e.responseCodeDetails())
                .millis("duration_ms", e.durationNanos() / 1000);
        if (serviceNanos >= 0) {
            line.millis("upstream_service_time_ms", serviceNanos / 1000);
        }
        line.string("upstream_cluster", e.upstreamCluster())
                .string("upstream_host", e.upstreamHostText());
        if (e.attempts() > 0) {
            line.number("attempts", e.attempts());
        }
        return line.number("bytes_received", e.bytesReceived())
                .number("bytes_sent", e.bytesSent())
                .string("request_id", e.requestId())
                .string("trace_id", e.span().traceId())
                .string("downstream_remote", e.downstreamRemote())
                .string("x_forwarded_for", e.forwardedFor())
                .string("sni", e.sni())
                .string("route", e.route())
                .string("user_agent", e.userAgent())
                .string("peer_principal", e.peerPrincipal())
                .string("details", e.details())
                .finish();
    }
}
