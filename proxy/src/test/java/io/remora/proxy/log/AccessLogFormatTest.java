package io.remora.proxy.log;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.remora.config.AccessLogField;
import io.remora.config.Defaults;
import io.remora.log.JsonLine;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The compiled access-log format: the default line unchanged to the byte, and chosen fields in their order. */
class AccessLogFormatTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The line as {@code AccessLog.format} wrote it before fields could be chosen, kept to compare against. */
    private static String previousLine(StreamInfo e) {
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

    private static StreamInfo full() {
        StreamInfo e = StreamInfos.full();
        e.details("connect to 10.0.0.2:8080 refused");
        return e;
    }

    private static StreamInfo localReply() {
        StreamInfo e = new StreamInfo(1_764_000_000_000L, 0, false, null);
        e.request("HTTP/1.1", "GET", "web", "/", null, false);
        e.routed("unknown", null, null);
        e.status(404);
        e.flag(ResponseFlag.NO_ROUTE);
        e.ended(50_000);
        return e;
    }

    private static List<String> names(String line) throws Exception {
        JsonNode n = JSON.readTree(line);
        List<String> names = new ArrayList<>();
        n.fieldNames().forEachRemaining(names::add);
        return names;
    }

    @Test
    void theDefaultLineIsTheSameToTheByteAsBefore() {
        for (StreamInfo e : List.of(full(), StreamInfos.full(), StreamInfos.tcp(), localReply())) {
            assertThat(AccessLogFormat.DEFAULT.format(e)).isEqualTo(previousLine(e));
            assertThat(AccessLog.format(e)).isEqualTo(previousLine(e));
            assertThat(AccessLogFormat.named(Defaults.ACCESS_LOG_FIELDS).format(e)).isEqualTo(previousLine(e));
        }
        assertThat(AccessLogFormat.named(Defaults.ACCESS_LOG_FIELDS)).isSameAs(AccessLogFormat.DEFAULT);
        assertThat(AccessLogFormat.DEFAULT.fields()).isEqualTo(AccessLogField.DEFAULT);
    }

    @Test
    void chosenFieldsAreWrittenInTheirOrderWithTypeFirstWhenNotListed() throws Exception {
        AccessLogFormat format = AccessLogFormat.named(List.of("status", "%START_TIME%", "method", "%REQ(:PATH)%",
                "route", "%UPSTREAM_HOST%", "attempts"));

        String line = format.format(full());

        assertThat(line).isEqualTo("{\"type\":\"access\",\"status\":503,\"time\":\"2025-11-24T16:00:00.123Z\","
                + "\"method\":\"POST\",\"path\":\"/pay?amount=\\\"10\\\"&note=caf\u00e9\\\\x\",\"route\":\"payments\","
                + "\"upstream_host\":\"10.0.0.2:8080\",\"attempts\":1}");
        assertThat(names(format.format(StreamInfos.tcp()))).as("fields with no value are left out")
                .containsExactly("type", "status", "time");
    }

    @Test
    void typeGoesWhereTheListPutsIt() throws Exception {
        AccessLogFormat format = AccessLogFormat.named(List.of("time", "flags", "type", "details"));

        assertThat(names(format.format(full()))).containsExactly("time", "flags", "type", "details");
        assertThat(format.fields()).containsExactly(AccessLogField.TIME, AccessLogField.FLAGS, AccessLogField.TYPE,
                AccessLogField.DETAILS);
    }

    @Test
    void everyFieldHasAWriterThatWritesItsJsonName() throws Exception {
        for (AccessLogField field : AccessLogField.values()) {
            if (field == AccessLogField.TRACE_ID) {
                continue; // no span in a unit test: left out, as every field without a value
            }
            List<String> expected = field == AccessLogField.TYPE ? List.of("type")
                    : List.of("type", field.jsonName());
            assertThat(names(AccessLogFormat.of(List.of(field)).format(full()))).as(field.jsonName())
                    .isEqualTo(expected);
        }
    }

    @Test
    void anUnknownNameIsRefusedWhenCompiling() {
        assertThatThrownBy(() -> AccessLogFormat.named(List.of("status", "nope")))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
