package io.remora.proxy.log;

import io.remora.config.AccessLogField;
import io.remora.log.JsonLine;

import java.util.ArrayList;
import java.util.List;

/**
 * The fields of an access-log line, compiled once per Sidecar from its {@code accessLogFields}: an array of
 * writers, one per field in the order chosen, so a request's line is those writers run over its {@link StreamInfo}
 * and nothing else — no lookup by name, no map, no string built but the line. {@code type} is always written (first
 * unless the list places it): it is what tells access-log lines from the operational log's on the same stdout.
 */
public final class AccessLogFormat {
    /** Every field in the catalogue's order: the line Remora has always written. */
    public static final AccessLogFormat DEFAULT = of(AccessLogField.DEFAULT);

    /** Writes one field of {@code e} into {@code line}, or nothing when it has no value. */
    @FunctionalInterface
    interface FieldWriter {
        void write(JsonLine line, StreamInfo e);
    }

    private final List<AccessLogField> fields;
    private final FieldWriter[] writers;

    private AccessLogFormat(List<AccessLogField> fields) {
        this.fields = List.copyOf(fields);
        this.writers = new FieldWriter[this.fields.size()];
        for (int i = 0; i < writers.length; i++) {
            writers[i] = writer(this.fields.get(i));
        }
    }

    /** The format writing {@code fields} in this order, with {@code type} first when they do not name it. */
    public static AccessLogFormat of(List<AccessLogField> fields) {
        if (fields.contains(AccessLogField.TYPE)) {
            return new AccessLogFormat(fields);
        }
        List<AccessLogField> withType = new ArrayList<>(fields.size() + 1);
        withType.add(AccessLogField.TYPE);
        withType.addAll(fields);
        return new AccessLogFormat(withType);
    }

    /** The format a Sidecar's {@code accessLogFields} names (validated: an unknown name throws). */
    public static AccessLogFormat named(List<String> names) {
        List<AccessLogField> fields = AccessLogField.parse(names);
        return fields.equals(AccessLogField.DEFAULT) ? DEFAULT : of(fields);
    }

    /** The fields written, in order, {@code type} included. */
    public List<AccessLogField> fields() {
        return fields;
    }

    /** The JSON line for {@code e}, without a newline; a field with no value is left out. */
    public String format(StreamInfo e) {
        JsonLine line = JsonLine.begin();
        try {
            for (FieldWriter w : writers) {
                w.write(line, e);
            }
        } catch (RuntimeException ex) {
            line.abandon();
            throw ex;
        }
        return line.finish();
    }

    private static FieldWriter writer(AccessLogField field) {
        String n = field.jsonName();
        return switch (field) {
            case TIME -> (line, e) -> line.time(n, e.startEpochMillis());
            case TYPE -> (line, e) -> line.string(n, "access");
            case DIRECTION -> (line, e) -> line.string(n, e.direction());
            case PROTOCOL -> (line, e) -> line.string(n, e.protocol());
            case METHOD -> (line, e) -> line.string(n, e.method());
            case AUTHORITY -> (line, e) -> line.string(n, e.authority());
            case PATH -> (line, e) -> line.string(n, e.path());
            case STATUS -> (line, e) -> line.number(n, e.status());
            case GRPC_STATUS -> (line, e) -> line.string(n, e.grpcStatus().isEmpty() ? null : e.grpcStatus());
            case FLAGS -> (line, e) -> line.string(n, e.flagsText());
            case RESPONSE_CODE_DETAILS -> (line, e) -> line.string(n, e.responseCodeDetails());
            case DURATION_MS -> (line, e) -> line.millis(n, e.durationNanos() / 1000);
            case UPSTREAM_SERVICE_TIME_MS -> (line, e) -> {
                long serviceNanos = e.upstreamServiceNanos();
                if (serviceNanos >= 0) {
                    line.millis(n, serviceNanos / 1000);
                }
            };
            case UPSTREAM_CLUSTER -> (line, e) -> line.string(n, e.upstreamCluster());
            case UPSTREAM_HOST -> (line, e) -> line.string(n, e.upstreamHostText());
            case ATTEMPTS -> (line, e) -> {
                if (e.attempts() > 0) {
                    line.number(n, e.attempts());
                }
            };
            case BYTES_RECEIVED -> (line, e) -> line.number(n, e.bytesReceived());
            case BYTES_SENT -> (line, e) -> line.number(n, e.bytesSent());
            case REQUEST_ID -> (line, e) -> line.string(n, e.requestId());
            case TRACE_ID -> (line, e) -> line.string(n, e.span().traceId());
            case DOWNSTREAM_REMOTE -> (line, e) -> line.string(n, e.downstreamRemote());
            case X_FORWARDED_FOR -> (line, e) -> line.string(n, e.forwardedFor());
            case SNI -> (line, e) -> line.string(n, e.sni());
            case ROUTE -> (line, e) -> line.string(n, e.route());
            case USER_AGENT -> (line, e) -> line.string(n, e.userAgent());
            case PEER_PRINCIPAL -> (line, e) -> line.string(n, e.peerPrincipal());
            case DETAILS -> (line, e) -> line.string(n, e.details());
        };
    }
}
