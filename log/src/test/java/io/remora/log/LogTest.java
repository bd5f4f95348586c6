package io.remora.log;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogManager;
import java.util.logging.Logger;

import static org.assertj.core.api.Assertions.assertThat;

class LogTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private JsonWriter writer;
    private boolean debugBefore;
    private Handler[] rootHandlersBefore;
    private Level rootLevelBefore;

    @BeforeEach
    void captureOutput() {
        writer = new JsonWriter(out);
        Log.install(writer);
        debugBefore = Log.isDebugEnabled();
        Logger root = LogManager.getLogManager().getLogger("");
        rootHandlersBefore = root.getHandlers();
        rootLevelBefore = root.getLevel();
    }

    @AfterEach
    void restore() {
        Log.install(null);
        Log.setDebugEnabled(debugBefore);
        Logger root = LogManager.getLogManager().getLogger("");
        for (Handler h : root.getHandlers()) {
            root.removeHandler(h);
        }
        for (Handler h : rootHandlersBefore) {
            root.addHandler(h);
        }
        root.setLevel(rootLevelBefore);
        writer.close();
    }

    private List<JsonNode> lines() throws IOException {
        assertThat(writer.flushAndWait(Duration.ofSeconds(10))).isTrue();
        List<JsonNode> nodes = new ArrayList<>();
        for (String line : out.toString(StandardCharsets.UTF_8).split("\n")) {
            if (!line.isEmpty()) {
                nodes.add(JSON.readTree(line));
            }
        }
        return nodes;
    }

    @Test
    void eventsAreJsonLinesWithKeyValues() throws Exception {
        Instant before = Instant.now();
        Log.info("listener_bound", "name", "inbound", "address", new InetSocketAddress("0.0.0.0", 15006),
                "threads", 2);
        Log.warn("config_rejected", "reason", "bad \"route\"\n");
        List<JsonNode> lines = lines();
        assertThat(lines).hasSize(2);

        JsonNode info = lines.get(0);
        List<String> names = new ArrayList<>();
        info.fieldNames().forEachRemaining(names::add);
        assertThat(names).containsExactly("time", "type", "level", "logger", "event", "name", "address", "threads");
        assertThat(info.get("type").asText()).as("tells operational lines from access-log lines").isEqualTo("log");
        assertThat(Instant.parse(info.get("time").asText()))
                .isBetween(before.minusMillis(1), Instant.now().plusMillis(1));
        assertThat(info.get("level").asText()).isEqualTo("info");
        assertThat(info.get("logger").asText()).isEqualTo("remora");
        assertThat(info.get("event").asText()).isEqualTo("listener_bound");
        assertThat(info.get("name").asText()).isEqualTo("inbound");
        assertThat(info.get("address").asText()).isEqualTo("0.0.0.0:15006");
        assertThat(info.get("threads").asInt()).isEqualTo(2);

        assertThat(lines.get(1).get("level").asText()).isEqualTo("warn");
        assertThat(lines.get(1).get("reason").asText()).isEqualTo("bad \"route\"\n");
    }

    @Test
    void errorsCarryTheExceptionAsOneField() throws Exception {
        Exception cause = new IllegalStateException("pool exhausted");
        Log.error("upstream_failed", new RuntimeException("connect failed", cause), "cluster", "payments.shop");
        Log.error("no_exception", null);
        List<JsonNode> lines = lines();
        JsonNode error = lines.get(0);
        assertThat(error.get("level").asText()).isEqualTo("error");
        assertThat(error.get("cluster").asText()).isEqualTo("payments.shop");
        String exception = error.get("exception").asText();
        assertThat(exception).startsWith("java.lang.RuntimeException: connect failed")
                .contains("\tat io.remora.log.LogTest.errorsCarryTheExceptionAsOneField")
                .contains("Caused by: java.lang.IllegalStateException: pool exhausted");
        assertThat(lines.get(1).has("exception")).isFalse();
    }

    @Test
    void debugIsOffUntilEnabled() throws Exception {
        Log.setDebugEnabled(false);
        Log.debug("hidden");
        Log.setDebugEnabled(true);
        Log.debug("shown", "k", "v");
        List<JsonNode> lines = lines();
        assertThat(lines).hasSize(1);
        assertThat(lines.get(0).get("event").asText()).isEqualTo("shown");
        assertThat(lines.get(0).get("level").asText()).isEqualTo("debug");
    }

    @Test
    void anUnpairedKeyGetsNull() throws Exception {
        Log.info("odd", "k1", "v1", "k2");
        JsonNode line = lines().get(0);
        assertThat(line.get("k1").asText()).isEqualTo("v1");
        assertThat(line.get("k2").isNull()).isTrue();
    }

    @Test
    void julRecordsBecomeJsonLines() throws Exception {
        Log.setDebugEnabled(false);
        Log.bridgeJul();
        Logger root = LogManager.getLogManager().getLogger("");
        assertThat(root.getHandlers()).singleElement().isInstanceOf(JulJsonHandler.class);

        Logger netty = Logger.getLogger("io.netty.util.ResourceLeakDetector");
        netty.log(Level.WARNING, "LEAK: {0} was not released", "ByteBuf");
        netty.log(Level.SEVERE, "failed", new IOException("broken pipe"));
        netty.log(Level.INFO, "plain \"quoted\"");
        netty.fine("too detailed");

        List<JsonNode> lines = lines();
        assertThat(lines).hasSize(3);
        JsonNode warn = lines.get(0);
        assertThat(warn.get("level").asText()).isEqualTo("warn");
        assertThat(warn.get("logger").asText()).isEqualTo("io.netty.util.ResourceLeakDetector");
        assertThat(warn.get("event").asText()).isEqualTo("jul");
        assertThat(warn.get("message").asText()).isEqualTo("LEAK: ByteBuf was not released");
        assertThat(warn.has("time")).isTrue();
        JsonNode severe = lines.get(1);
        assertThat(severe.get("level").asText()).isEqualTo("error");
        assertThat(severe.get("exception").asText()).startsWith("java.io.IOException: broken pipe\n\tat ");
        assertThat(lines.get(2).get("level").asText()).isEqualTo("info");
        assertThat(lines.get(2).get("message").asText()).isEqualTo("plain \"quoted\"");
    }

    @Test
    void julDebugRecordsAppearWhenDebugIsOn() throws Exception {
        Log.setDebugEnabled(true);
        Log.bridgeJul();
        Logger.getLogger("io.netty.channel").fine("detail");
        List<JsonNode> lines = lines();
        assertThat(lines).hasSize(1);
        assertThat(lines.get(0).get("level").asText()).isEqualTo("debug");
        assertThat(lines.get(0).get("message").asText()).isEqualTo("detail");
    }

    @Test
    void julLevelsMapToLogLevels() {
        assertThat(JulJsonHandler.level(Level.SEVERE)).isEqualTo("error");
        assertThat(JulJsonHandler.level(Level.WARNING)).isEqualTo("warn");
        assertThat(JulJsonHandler.level(Level.INFO)).isEqualTo("info");
        assertThat(JulJsonHandler.level(Level.CONFIG)).isEqualTo("debug");
        assertThat(JulJsonHandler.level(Level.FINEST)).isEqualTo("debug");
    }
}
