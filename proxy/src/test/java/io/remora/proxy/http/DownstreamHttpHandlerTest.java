package io.remora.proxy.http;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.remora.config.HostPort;
import io.remora.config.Snapshot;
import io.remora.config.testing.TestMesh;
import io.remora.proxy.ProxyContext;
import io.remora.proxy.Transport;
import io.remora.proxy.listener.ConnectionInfo;
import io.remora.proxy.listener.ListenerSpec;
import io.remora.proxy.log.AccessLog;
import io.remora.log.JsonWriter;
import io.remora.proxy.metrics.ProxyMetrics;
import io.remora.proxy.route.RouteTable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * The downstream HTTP handler on an {@link EmbeddedChannel}: the answers the proxy gives by itself, with
 * no upstream involved, and no buffer left behind.
 */
class DownstreamHttpHandlerTest {
    private static final TestMesh MESH = TestMesh.of(TestMesh.service("api", "t").endpoint("127.0.0.1:1"),
            TestMesh.route("api", "t").services("api.t").rule(r -> r.match("{path: {prefix: /api}}").backend("api.t")));

    private final ByteArrayOutputStream logBytes = new ByteArrayOutputStream();
    private JsonWriter writer;
    private ProxyContext pc;

    @BeforeEach
    void setUp() throws Exception {
        Snapshot snapshot = MESH.snapshot();
        writer = new JsonWriter(logBytes);
        pc = new ProxyContext(snapshot.sidecarOrDefault(), Transport.best(),
                new ProxyMetrics(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), "w", "t"),
                new AccessLog(writer, true), RouteTable.build(snapshot),
                new DefaultChannelGroup(GlobalEventExecutor.INSTANCE));
    }

    @AfterEach
    void tearDown() {
        writer.close();
    }

    private EmbeddedChannel channel() {
        ListenerSpec listener = ListenerSpec.explicit(new HostPort("127.0.0.1", 0), "api.t");
        return new EmbeddedChannel(
                new HttpServerCodec(new HttpDecoderConfig().setMaxHeaderSize(1024).setStrictLineParsing(true)
                        .setUseRfc9112TransferEncoding(true)),
                new DownstreamHttpHandler(pc, listener,
                        new ConnectionInfo(null, new InetSocketAddress("10.0.0.9", 40000), null, null)));
    }

    private static String written(EmbeddedChannel ch) {
        StringBuilder sb = new StringBuilder();
        Object m;
        while ((m = ch.readOutbound()) != null) {
            ByteBuf b = (ByteBuf) m;
            sb.append(b.toString(StandardCharsets.ISO_8859_1));
            b.release();
        }
        return sb.toString();
    }

    private static void send(EmbeddedChannel ch, String bytes) {
        ch.writeInbound(Unpooled.copiedBuffer(bytes, StandardCharsets.ISO_8859_1));
    }

    @Test
    void unmatchedPathIsA404WithFlagNrAndTheConnectionStays() {
        EmbeddedChannel ch = channel();
        send(ch, "GET /other HTTP/1.1\r\nHost: api.t\r\n\r\n");
        String out = written(ch);
        assertThat(out).startsWith("HTTP/1.1 404 Not Found\r\n").contains("x-remora-response-flags: NR\r\n")
                .doesNotContain("connection: close");
        assertThat(ch.isActive()).isTrue();
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void contentLengthWithTransferEncodingIsA400AndClosed() {
        EmbeddedChannel ch = channel();
        send(ch, "POST /api HTTP/1.1\r\nHost: api.t\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
        assertThat(written(ch)).startsWith("HTTP/1.1 400 Bad Request\r\n").contains("connection: close\r\n")
                .contains("x-remora-response-flags: DPE");
        assertThat(ch.isActive()).isFalse();
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void oversizedHeadersAreA431() {
        EmbeddedChannel ch = channel();
        send(ch, "GET /api HTTP/1.1\r\nHost: api.t\r\nx-big: " + "a".repeat(2000) + "\r\n\r\n");
        assertThat(written(ch)).startsWith("HTTP/1.1 431 Request Header Fields Too Large\r\n");
        assertThat(ch.isActive()).isFalse();
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void grpcRequestsGetAGrpcStatusInsteadOfAn404() {
        EmbeddedChannel ch = channel();
        send(ch, "POST /other HTTP/1.1\r\nHost: api.t\r\ncontent-type: application/grpc\r\nContent-Length: 0\r\n\r\n");
        String out = written(ch);
        assertThat(out).startsWith("HTTP/1.1 200 OK\r\n").contains("grpc-status: 12\r\n");
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void aLocalReplyIsLoggedAndCounted() {
        EmbeddedChannel ch = channel();
        send(ch, "GET /nope HTTP/1.1\r\nHost: api.t\r\nx-request-id: abc\r\n\r\n");
        written(ch);
        assertFalse(ch.finishAndReleaseAll());
        writer.flushAndWait(java.time.Duration.ofSeconds(5));
        assertThat(logBytes.toString(StandardCharsets.UTF_8)).contains("\"status\":404").contains("\"flags\":\"NR\"")
                .contains("\"request_id\":\"abc\"");
        assertThat(pc.metrics().registry().scrape()).contains("response_flags=\"NR\"");
    }
}
