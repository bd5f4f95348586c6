package io.remora.log;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

class JsonLineTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final DateTimeFormatter ISO_MILLIS =
            DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

    @Test
    void stringsSurviveARoundTripThroughAJsonParser() throws Exception {
        String[] values = {"plain", "quote \" and backslash \\", "new\nline\r\ttab\b\f", "ctl \u0000\u0001\u001f",
                "del \u007f", "caf\u00e9 \u65e5\u672c", "emoji \ud83d\ude00", "lone \ud800 high", "lone \udc00 low",
                "line sep \u2028", "</script>", ""};
        for (String value : values) {
            String line = JsonLine.begin().string("v", value).finish();
            assertThat(line).doesNotContain("\n", "\r", "\u0000");
            assertThat(JSON.readTree(line).get("v").asText()).as(line).isEqualTo(value);
        }
    }

    @Test
    void escapesAreTheShortOnesWhereTheyExist() {
        assertThat(JsonLine.begin().string("k\"", "a\"b\\c\nd\u0001").finish())
                .isEqualTo("{\"k\\\"\":\"a\\\"b\\\\c\\nd\\u0001\"}");
        // non-ASCII stays as is (the writer encodes UTF-8); an unpaired surrogate is escaped
        assertThat(JsonLine.begin().string("k", "\u00e9\ud83d\ude00\ud800").finish())
                .isEqualTo("{\"k\":\"\u00e9\ud83d\ude00\\ud800\"}");
    }

    @Test
    void valuesKeepTheirJsonTypes() throws Exception {
        String line = JsonLine.begin().value("i", 7).value("l", 8L).value("b", true).value("d", 1.5)
                .value("nan", Double.NaN).value("n", null).value("s", "x")
                .value("addr", new InetSocketAddress("0.0.0.0", 15006))
                .value("v6", new InetSocketAddress("::1", 80)).value("o", new StringBuilder("sb")).finish();
        JsonNode node = JSON.readTree(line);
        assertThat(node.get("i").isInt()).isTrue();
        assertThat(node.get("l").asLong()).isEqualTo(8);
        assertThat(node.get("b").isBoolean()).isTrue();
        assertThat(node.get("d").asDouble()).isEqualTo(1.5);
        assertThat(node.get("nan").asText()).isEqualTo("NaN");
        assertThat(node.get("n").isNull()).isTrue();
        assertThat(node.get("addr").asText()).isEqualTo("0.0.0.0:15006");
        assertThat(node.get("v6").asText()).isEqualTo("[0:0:0:0:0:0:0:1]:80");
        assertThat(node.get("o").asText()).isEqualTo("sb");
    }

    @Test
    void timeIsIsoUtcWithMillisAcrossCalendarEdges() {
        long[] edges = {0, -1, 951_782_400_000L /* 2000-02-29 */, 1_709_164_800_000L /* 2024-02-29 */,
                4_107_542_400_000L /* 2100-03-01 */, 1_735_689_599_999L, 253_402_300_799_999L /* 9999-12-31 */};
        for (long t : edges) {
            assertTime(t);
        }
        SplittableRandom random = new SplittableRandom(42);
        for (int i = 0; i < 100_000; i++) {
            assertTime(random.nextLong(0, 13_000_000_000_000L)); // 1970 to 2381
        }
    }

    private static void assertTime(long epochMillis) {
        StringBuilder sb = new StringBuilder();
        JsonLine.appendIsoTime(sb, epochMillis);
        assertThat(sb.toString()).as("%d", epochMillis).isEqualTo(ISO_MILLIS.format(Instant.ofEpochMilli(epochMillis)));
    }

    @Test
    void millisHaveThreeDecimals() {
        assertThat(JsonLine.begin().millis("d", 1234).finish()).isEqualTo("{\"d\":1.234}");
        assertThat(JsonLine.begin().millis("d", 5).finish()).isEqualTo("{\"d\":0.005}");
        assertThat(JsonLine.begin().millis("d", 2_000_050).finish()).isEqualTo("{\"d\":2000.050}");
        assertThat(JsonLine.begin().millis("d", -3).finish()).isEqualTo("{\"d\":0.000}");
    }

    @Test
    void aLineBegunWhileAnotherIsBeingBuiltDoesNotDisturbIt() {
        JsonLine outer = JsonLine.begin().string("a", "1");
        String inner = JsonLine.begin().string("b", "2").finish();
        assertThat(outer.string("c", "3").finish()).isEqualTo("{\"a\":\"1\",\"c\":\"3\"}");
        assertThat(inner).isEqualTo("{\"b\":\"2\"}");
    }
}
