package io.remora.proxy.log;

import com.fasterxml.jackson.databind.JsonNode;
import io.remora.log.BlockingOutputStream;
import io.remora.log.JsonWriter;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

class AccessLogTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void writesOneValidJsonLinePerEntryWithEveryField() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JsonWriter writer = new JsonWriter(out)) {
            AccessLog log = new AccessLog(writer, true);
            log.log(StreamInfos.full());
            log.log(StreamInfos.full());
            assertThat(writer.flushAndWait(Duration.ofSeconds(10))).isTrue();
        }
        String[] lines = out.toString(StandardCharsets.UTF_8).split("\n");
        assertThat(lines).hasSize(2);
        JsonNode n = JSON.readTree(lines[0]);
        List<String> names = new ArrayList<>();
        n.fieldNames().forEachRemaining(names::add);
        assertThat(names).containsExactly("time", "type", "direction", "protocol", "method", "authority", "path",
                "status", "grpc_status", "flags", "response_code_details", "duration_ms", "upstream_service_time_ms",
                "upstream_cluster", "upstream_host", "attempts", "bytes_received", "bytes_sent", "request_id",
                "downstream_remote", "x_forwarded_for", "sni", "route", "user_agent", "peer_principal");
        assertThat(n.get("type").asText()).isEqualTo("access");
        assertThat(n.get("response_code_details").asText())
                .isEqualTo("upstream_reset_before_response_started{connection_failure}");
        assertThat(n.get("upstream_service_time_ms").decimalValue()).isEqualByComparingTo("4.5");
        assertThat(n.get("attempts").asInt()).isEqualTo(1);
        assertThat(n.get("x_forwarded_for").asText()).isEqualTo("10.9.9.9, 127.0.0.1");
        assertThat(n.get("sni").asText()).isEqualTo("payments.shop");
        assertThat(n.get("time").asText()).isEqualTo("2025-11-24T16:00:00.123Z");
        assertThat(n.get("direction").asText()).isEqualTo("outbound");
        assertThat(n.get("protocol").asText()).isEqualTo("HTTP/2");
        assertThat(n.get("method").asText()).isEqualTo("POST");
        assertThat(n.get("authority").asText()).isEqualTo("payments.shop:8080");
        assertThat(n.get("path").asText()).isEqualTo("/pay?amount=\"10\"&note=caf\u00e9\\x");
        assertThat(n.get("status").isInt()).isTrue();
        assertThat(n.get("status").asInt()).isEqualTo(503);
        assertThat(n.get("grpc_status").asText()).isEqualTo("14");
        assertThat(n.get("flags").asText()).isEqualTo("UF,URX");
        assertThat(n.get("duration_ms").isNumber()).isTrue();
        assertThat(n.get("duration_ms").decimalValue()).isEqualByComparingTo("12345.678");
        assertThat(n.get("upstream_cluster").asText()).isEqualTo("payments.shop/v2");
        assertThat(n.get("upstream_host").asText()).isEqualTo("10.0.0.2:8080");
        assertThat(n.get("bytes_received").asLong()).isEqualTo(321);
        assertThat(n.get("bytes_sent").asLong()).isEqualTo(45);
        assertThat(n.get("request_id").asText()).isEqualTo("req-1");
        assertThat(n.get("downstream_remote").asText()).isEqualTo("127.0.0.1:51234");
        assertThat(n.get("route").asText()).isEqualTo("payments");
        assertThat(n.get("user_agent").asText()).isEqualTo("curl/8.5.0 \u0001");
        assertThat(n.get("peer_principal").asText()).isEqualTo("spiffe://cluster.local/ns/shop/sa/payments");
    }

    @Test
    void nullFieldsAreLeftOut() throws Exception {
        JsonNode n = JSON.readTree(AccessLog.format(StreamInfos.tcp()));
        List<String> names = new ArrayList<>();
        n.fieldNames().forEachRemaining(names::add);
        assertThat(names).containsExactly("time", "type", "direction", "protocol", "status", "flags", "duration_ms",
                "upstream_cluster", "bytes_received", "bytes_sent", "downstream_remote");
        assertThat(n.get("downstream_remote").asText()).isEqualTo("10.1.1.1:4000");
        assertThat(n.get("time").asText()).isEqualTo("1970-01-01T00:00:00.000Z");
        assertThat(n.get("duration_ms").decimalValue()).isEqualByComparingTo("0.999");
    }

    @Test
    void disabledLogWritesNothing() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JsonWriter writer = new JsonWriter(out)) {
            AccessLog log = new AccessLog(writer, false);
            assertThat(log.enabled()).isFalse();
            log.log(StreamInfos.full());
            assertThat(writer.flushAndWait(Duration.ofSeconds(10))).isTrue();
            assertThat(out.size()).isZero();
            assertThat(writer.written()).isZero();
        }
    }

    @Test
    void linesTheWriterRefusesAreCounted() throws Exception {
        BlockingOutputStream out = new BlockingOutputStream();
        try (JsonWriter writer = new JsonWriter(out, 1)) {
            AccessLog log = new AccessLog(writer, true);
            log.log(StreamInfos.full());
            assertThat(out.writeStarted.await(10, TimeUnit.SECONDS)).isTrue();
            log.log(StreamInfos.full()); // fills the queue of one
            log.log(StreamInfos.full());
            log.log(StreamInfos.full());
            assertThat(log.dropped()).isEqualTo(2);
            out.release.countDown();
        }
    }
}
