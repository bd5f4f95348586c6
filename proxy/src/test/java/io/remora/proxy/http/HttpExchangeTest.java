package io.remora.proxy.http;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.EventLoop;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.remora.certs.SpiffeId;
import io.remora.config.HostPort;
import io.remora.config.testing.TestMesh;
import io.remora.log.JsonWriter;
import io.remora.proxy.ProxyContext;
import io.remora.proxy.ProxyEnvironment;
import io.remora.proxy.Transport;
import io.remora.proxy.cluster.Endpoint;
import io.remora.proxy.cluster.ServiceGuard;
import io.remora.proxy.listener.ConnectionInfo;
import io.remora.proxy.listener.ListenerSpec;
import io.remora.proxy.log.AccessLog;
import io.remora.proxy.metrics.ProxyMetrics;
import io.remora.proxy.policy.ConcurrencyLimits;
import io.remora.proxy.policy.Randomness;
import io.remora.proxy.route.RouteDecision;
import io.remora.proxy.route.RouteTable;
import io.remora.proxy.tls.TlsMeters;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The exchange's state machine without a socket: the downstream is an {@link EmbeddedChannel} with the real codec
 * and handler, every upstream stream is an embedded channel handed out by a scripted {@link UpstreamStreams}, and
 * time moves only when the test moves it (the embedded loop's frozen clock and the proxy's ticker, together). Each
 * test drives a try into one state, fails it there, and checks the answer, its response flags, how many tries
 * were made, that every stream the exchange was given is closed or handed back, and that nothing the request held
 * is still held (the circuit breaker's request and retry slots, the endpoint's count of requests in flight).
 */
class HttpExchangeTest {
    private final ByteArrayOutputStream logBytes = new ByteArrayOutputStream();
    private final JsonWriter writer = new JsonWriter(logBytes);
    private final long[] now = {1_000_000_000L};
    private final Streams streams = new Streams();
    private ProxyContext pc;
    private EmbeddedChannel downstream;

    @AfterEach
    void tearDown() {
        if (downstream != null) {
            downstream.finishAndReleaseAll();
        }
        for (EmbeddedChannel up : streams.granted) {
            up.finishAndReleaseAll();
        }
        writer.close();
    }

    /** A sidecar with one explicit listener to {@code api.t}, whose one rule is edited by {@code rule}. */
    private void mesh(Consumer<TestMesh.Rule> rule) {
        TestMesh mesh = TestMesh.of(TestMesh.service("api", "t").endpoint("127.0.0.1:1"),
                TestMesh.route("api", "t").services("api.t").rule(r -> {
                    r.match("{path: {prefix: /}}").backend("api.t");
                    rule.accept(r);
                }));
        var snapshot = mesh.snapshot();
        pc = new ProxyContext(snapshot.sidecarOrDefault(), Transport.best(),
                new ProxyMetrics(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), "w", "t"),
                new AccessLog(writer, true), RouteTable.build(snapshot),
                new DefaultChannelGroup(GlobalEventExecutor.INSTANCE), null, TlsMeters.unregistered(),
                new ProxyEnvironment(() -> now[0], Clock.systemUTC(), Randomness.seeded(7)));
        pc.useUpstreams(streams);
        downstream = new EmbeddedChannel(
                new HttpServerCodec(new HttpDecoderConfig().setStrictLineParsing(true)
                        .setUseRfc9112TransferEncoding(true)),
                new DownstreamHttpHandler(pc, ListenerSpec.explicit(new HostPort("127.0.0.1", 0), "api.t"),
                        new ConnectionInfo(null, new InetSocketAddress("10.0.0.9", 40000), null, null)));
        downstream.freezeTime();
    }

    private void send(String request) {
        downstream.writeInbound(Unpooled.copiedBuffer(request, StandardCharsets.ISO_8859_1));
    }

    private void get() {
        send("GET /x HTTP/1.1\r\nHost: api.t\r\n\r\n");
    }

    /** Moves time on by {@code millis}: the proxy's ticker and the downstream loop's timers. */
    private void elapse(long millis) {
        now[0] += TimeUnit.MILLISECONDS.toNanos(millis);
        downstream.advanceTimeBy(millis, TimeUnit.MILLISECONDS);
        downstream.runScheduledPendingTasks();
        downstream.runPendingTasks();
    }

    /** What the proxy wrote to the caller so far, as text. */
    private String answer() {
        StringBuilder sb = new StringBuilder();
        Object m;
        while ((m = downstream.readOutbound()) != null) {
            ByteBuf b = (ByteBuf) m;
            sb.append(b.toString(StandardCharsets.ISO_8859_1));
            b.release();
        }
        return sb.toString();
    }

    private static String flags(String answer) {
        for (String line : answer.split("\r\n")) {
            if (line.startsWith("x-remora-response-flags: ")) {
                return line.substring("x-remora-response-flags: ".length());
            }
        }
        return "";
    }

    private ServiceGuard guard() {
        return pc.routes().byKey("api.t").defaultCluster().guard();
    }

    /** Nothing the request held is still held, and every stream it was given is closed or back with its owner. */
    private void nothingHeld() {
        assertThat(guard().limits().inUse(ConcurrencyLimits.Limit.REQUESTS)).as("request slots").isZero();
        assertThat(guard().limits().inUse(ConcurrencyLimits.Limit.RETRIES)).as("retry slots").isZero();
        for (Endpoint e : pc.routes().byKey("api.t").defaultCluster().endpoints()) {
            assertThat(e.activeRequests()).as("requests in flight to " + e).isZero();
        }
        assertThat(streams.waiting).as("requests still waiting for a stream").isEmpty();
    }

    /** The request objects the exchange wrote to {@code up}, released; returns the head. */
    private static HttpRequest forwarded(EmbeddedChannel up) {
        HttpRequest head = null;
        Object m;
        while ((m = up.readOutbound()) != null) {
            if (m instanceof HttpRequest r) {
                head = r;
            }
            ReferenceCountUtil.release(m);
        }
        return head;
    }

    private static void respond(EmbeddedChannel up, int status, String body) {
        DefaultHttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(status));
        head.headers().set(HttpHeaderNames.CONTENT_LENGTH, body.length());
        up.writeInbound(head, new DefaultLastHttpContent(Unpooled.copiedBuffer(body, StandardCharsets.US_ASCII)));
    }

    // ---- the happy path ---------------------------------------------------------------------------------------

    @Test
    void aGrantedStreamCarriesTheRequestAndTheResponseComesBackWhole() {
        mesh(r -> { });
        get();
        EmbeddedChannel up = streams.grant();
        HttpRequest head = forwarded(up);
        assertThat(head.uri()).isEqualTo("/x");
        assertThat(head.headers().get("x-request-id")).isNotEmpty();
        respond(up, 200, "ok");
        String answer = answer();
        assertThat(answer).startsWith("HTTP/1.1 200 OK\r\n").endsWith("\r\n\r\nok");
        assertThat(flags(answer)).isEmpty();
        assertThat(streams.asked).isEqualTo(1);
        nothingHeld();
    }

    // ---- acquiring --------------------------------------------------------------------------------------------

    @Test
    void acquiringARefusedConnectionIsUfAndTheRefusedRetryAddsUrx() {
        mesh(r -> { });
        get();
        streams.refuse();
        assertThat(answer()).as("nothing before the retry's backoff").isEmpty();
        elapse(1_000);
        streams.refuse();
        String answer = answer();
        assertThat(answer).startsWith("HTTP/1.1 503 ");
        assertThat(flags(answer)).isEqualTo("UF,URX");
        assertThat(streams.asked).isEqualTo(2);
        nothingHeld();
    }

    @Test
    void acquiringWhenTheCircuitBreakerIsFullIsUoAndNotRetried() {
        mesh(r -> { });
        get();
        streams.overflow(ConcurrencyLimits.Limit.CONNECTIONS);
        elapse(1_000);
        String answer = answer();
        assertThat(answer).startsWith("HTTP/1.1 503 ");
        assertThat(flags(answer)).isEqualTo("UO");
        assertThat(streams.asked).isEqualTo(1);
        nothingHeld();
    }

    @Test
    void acquiringWhenTheCallerGoesAwayIsDcAndALateGrantIsRefused() {
        mesh(r -> { });
        get();
        downstream.close();
        downstream.runPendingTasks();
        assertThat(streams.waiting.peek().stillWaiting()).as("a gone caller wants no stream").isFalse();
        streams.waiting.clear();
        writer.flushAndWait(java.time.Duration.ofSeconds(5));
        assertThat(logBytes.toString(StandardCharsets.UTF_8)).contains("\"flags\":\"DC\"");
        nothingHeld();
    }

    // ---- sending ----------------------------------------------------------------------------------------------

    @Test
    void sendingWhenTheUpstreamClosesWithoutAResponseIsUcForAPostAndNotRetried() {
        mesh(r -> { });
        send("POST /pay HTTP/1.1\r\nHost: api.t\r\ncontent-length: 2\r\n\r\n{}");
        EmbeddedChannel up = streams.grant();
        assertThat(forwarded(up).method().name()).isEqualTo("POST");
        up.close();
        elapse(1_000);
        String answer = answer();
        assertThat(answer).startsWith("HTTP/1.1 503 ");
        assertThat(flags(answer)).isEqualTo("UC");
        assertThat(streams.asked).isEqualTo(1);
        nothingHeld();
    }

    @Test
    void sendingWhenEachTrysTimerFiresIsUtWithUrxOnceTheAttemptsAreSpent() {
        mesh(r -> r.set("retries", "{attempts: 2, perTryTimeout: 150ms, backoff: {baseInterval: 10ms, maxInterval: 20ms}}"));
        get();
        EmbeddedChannel first = streams.grant();
        elapse(149);
        assertThat(first.isActive()).as("the try's timer has not fired yet").isTrue();
        elapse(1);
        assertThat(first.isActive()).as("a timed-out try's stream is closed").isFalse();
        elapse(20);
        EmbeddedChannel second = streams.grant();
        elapse(150);
        assertThat(second.isActive()).isFalse();
        String answer = answer();
        assertThat(answer).startsWith("HTTP/1.1 504 ");
        assertThat(flags(answer)).isEqualTo("UT,URX");
        assertThat(streams.asked).isEqualTo(2);
        nothingHeld();
    }

    @Test
    void sendingWhenTheDeadlinePassesIsUtEvenWithAttemptsLeft() {
        mesh(r -> r.set("timeout", "200ms"));
        get();
        EmbeddedChannel up = streams.grant();
        elapse(199);
        assertThat(answer()).isEmpty();
        elapse(1);
        String answer = answer();
        assertThat(answer).startsWith("HTTP/1.1 504 ");
        assertThat(flags(answer)).isEqualTo("UT");
        assertThat(up.isActive()).isFalse();
        assertThat(streams.asked).isEqualTo(1);
        nothingHeld();
    }

    @Test
    void sendingWhenTheCallerGoesAwayIsDcAndTheUpstreamStreamIsClosed() {
        mesh(r -> { });
        get();
        EmbeddedChannel up = streams.grant();
        downstream.close();
        downstream.runPendingTasks();
        assertThat(up.isActive()).isFalse();
        writer.flushAndWait(java.time.Duration.ofSeconds(5));
        assertThat(logBytes.toString(StandardCharsets.UTF_8)).contains("\"flags\":\"DC\"");
        nothingHeld();
    }

    // ---- responding -------------------------------------------------------------------------------------------

    @Test
    void respondingWithAnAnswerTheRulesRetryIsRetriedAndTheSecondAnswerPassesOn() {
        mesh(r -> { });
        get();
        EmbeddedChannel first = streams.grant();
        respond(first, 503, "busy");
        assertThat(answer()).as("a retried answer is not passed on").isEmpty();
        elapse(1_000);
        EmbeddedChannel second = streams.grant();
        assertThat(forwarded(second).uri()).isEqualTo("/x");
        respond(second, 200, "ok");
        String answer = answer();
        assertThat(answer).startsWith("HTTP/1.1 200 OK\r\n").endsWith("ok");
        assertThat(streams.asked).isEqualTo(2);
        nothingHeld();
    }

    @Test
    void respondingWithAnAnswerTheRulesRetryButNoAttemptIsLeftPassesItOnWithUrx() {
        mesh(r -> { });
        get();
        respond(streams.grant(), 503, "busy");
        elapse(1_000);
        respond(streams.grant(), 503, "still busy");
        String answer = answer();
        assertThat(answer).startsWith("HTTP/1.1 503 ").endsWith("still busy");
        writer.flushAndWait(java.time.Duration.ofSeconds(5));
        assertThat(logBytes.toString(StandardCharsets.UTF_8)).contains("\"flags\":\"URX\"");
        assertThat(streams.asked).isEqualTo(2);
        nothingHeld();
    }

    @Test
    void respondingWhenTheUpstreamClosesMidBodyIsUcAndTheCallersConnectionCloses() {
        mesh(r -> { });
        get();
        EmbeddedChannel up = streams.grant();
        DefaultHttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        head.headers().set(HttpHeaderNames.CONTENT_LENGTH, 10);
        up.writeInbound(head, new DefaultHttpContent(Unpooled.copiedBuffer("part", StandardCharsets.US_ASCII)));
        up.close();
        downstream.runPendingTasks();
        String answer = answer();
        assertThat(answer).startsWith("HTTP/1.1 200 OK\r\n").endsWith("part");
        assertThat(downstream.isActive()).as("a response cut short cannot be framed; the caller is told by close")
                .isFalse();
        writer.flushAndWait(java.time.Duration.ofSeconds(5));
        assertThat(logBytes.toString(StandardCharsets.UTF_8)).contains("\"flags\":\"UC\"");
        nothingHeld();
    }

    /**
     * The scripted source of upstream streams: every ask waits in {@link #waiting} until the test grants it an
     * embedded channel (the real {@link UpstreamHandler} at its end, HTTP objects in and out), refuses it, or
     * reports a full circuit breaker.
     */
    private final class Streams implements UpstreamStreams {
        final ArrayDeque<UpstreamRequester> waiting = new ArrayDeque<>();
        final List<EmbeddedChannel> granted = new ArrayList<>();
        int asked;

        @Override
        public void acquire(EventLoop loop, InetSocketAddress address, RouteDecision.Upstream route,
                            SpiffeId identity, ConcurrencyLimits limits, UpstreamRequester requester) {
            asked++;
            waiting.add(requester);
        }

        private UpstreamRequester next() {
            assertThat(waiting).as("a try waiting for a stream").isNotEmpty();
            return waiting.poll();
        }

        EmbeddedChannel grant() {
            UpstreamRequester r = next();
            assertThat(r.stillWaiting()).isTrue();
            EmbeddedChannel up = new EmbeddedChannel(new UpstreamHandler(null));
            granted.add(up);
            r.upstreamReady(up, false);
            downstream.runPendingTasks();
            return up;
        }

        void refuse() {
            next().upstreamFailed(new ConnectException("Connection refused"));
            downstream.runPendingTasks();
        }

        void overflow(ConcurrencyLimits.Limit limit) {
            next().upstreamOverflow(limit);
            downstream.runPendingTasks();
        }
    }
}
