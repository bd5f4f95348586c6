package io.remora.proxy.it.edge;

import com.fasterxml.jackson.databind.JsonNode;
import io.remora.config.testing.Eventually;
import io.remora.config.testing.TestMesh;
import io.remora.proxy.ProxyServer;
import io.remora.proxy.it.edge.Edge.KeepAlive;
import io.remora.proxy.it.edge.Edge.RawResult;
import io.remora.proxy.it.edge.Edge.Reply;
import io.remora.proxy.testing.H2cClient;
import io.remora.proxy.testing.HttpTestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static io.remora.config.testing.TestMesh.service;
import static io.remora.config.testing.TestMesh.sidecar;
import static io.remora.proxy.it.edge.Edge.ascii;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The operator's side: readiness and liveness, {@code /config_dump}, {@code /clusters}, a graceful drain (readiness
 * turns 503; inbound, idle connections close, in-flight requests finish with {@code Connection: close} or on a
 * draining HTTP/2 connection, and new connections are still accepted and served the same way through the drain
 * time; outbound is served as usual; the proxy stops at the drain time, or once a quiet second has passed with no
 * connection left) and {@code /quitquitquit}.
 */
@Timeout(60)
class AdminDrainTest {
    private static final Duration DRAIN_TIME = Duration.ofSeconds(4);

    private HttpTestServer app;
    private ProxyServer proxy;
    private InetSocketAddress listener;
    private InetSocketAddress inbound;

    @BeforeEach
    void start() throws Exception {
        app = new HttpTestServer("app");
        proxy = Edge.start(TestMesh.of(
                sidecar("edge", "test").threads(2).set("drainTime", "4s").inbound(app.address()).upstream("app.test"),
                service("app", "test").protocol("http").endpoint(app.address(), e -> e.set("labels", "{version: v1}"))
                        .subset("v1", "{version: v1}")));
        listener = proxy.upstreamAddress("app.test");
        inbound = proxy.inboundAddress();
    }

    @AfterEach
    void stop() {
        if (proxy != null) {
            proxy.close();
        }
        if (app != null) {
            app.close();
        }
    }

    @Test
    void healthAndAdminViews() throws Exception {
        Reply ready = Edge.get(proxy.healthAddress(), "/healthz/ready");
        assertThat(ready.status()).isEqualTo(200);
        assertThat(Edge.get(proxy.healthAddress(), "/healthz/live").status()).isEqualTo(200);
        assertThat(Edge.get(proxy.adminAddress(), "/ready").status()).isEqualTo(200);

        Reply dump = Edge.get(proxy.adminAddress(), "/config_dump");
        assertThat(dump.status()).isEqualTo(200);
        assertThat(dump.header("content-type")).startsWith("application/json");
        JsonNode root = Edge.JSON.readTree(dump.body());
        assertThat(root.path("services").isArray()).isTrue();
        assertThat(root.path("services")).anySatisfy(s -> {
            assertThat(s.path("metadata").path("name").asText()).isEqualTo("app");
            assertThat(s.path("metadata").path("namespace").asText()).isEqualTo("test");
            assertThat(s.path("spec").path("endpoints").get(0).path("address").asText())
                    .isEqualTo("127.0.0.1:" + app.port());
        });
        assertThat(root.path("listeners")).anySatisfy(l -> {
            assertThat(l.path("service").asText()).isEqualTo("app.test");
            assertThat(l.path("address").asText()).endsWith(":" + listener.getPort());
        });
        assertThat(root.path("version").asText()).isNotEmpty().isEqualTo(dump.header("x-remora-config-version"));

        assertThat(Edge.get(listener, "/name").status()).isEqualTo(200);
        Reply clusters = Edge.get(proxy.adminAddress(), "/clusters");
        assertThat(clusters.status()).isEqualTo(200);
        String endpoint = "127.0.0.1:" + app.port();
        assertThat(clusters.bodyText().lines().toList())
                .contains("app.test::" + endpoint + "::weight::1", "app.test::" + endpoint + "::rq_active::0",
                        "app.test::" + endpoint + "::protocol::http", "app.test/v1::" + endpoint + "::weight::1");
    }

    @Test
    void drainFinishesInFlightRequestsAndKeepsAcceptingInboundThenStops() throws Exception {
        // An idle keep-alive connection, and a slow request in flight on another one.
        KeepAlive idle = new KeepAlive(inbound);
        try (Socket inFlight = new Socket()) {
            assertThat(idle.get("/name").status()).isEqualTo(200);
            long before = app.requestCount();
            inFlight.connect(inbound, 2000);
            inFlight.getOutputStream().write(ascii("GET /slow/1500 HTTP/1.1\r\nHost: x\r\n\r\n"));
            Eventually.eventually(Duration.ofSeconds(5), () -> assertThat(app.requestCount()).isEqualTo(before + 1));

            assertThat(Edge.get(proxy.healthAddress(), "/healthz/ready").status()).isEqualTo(200);
            long drainStart = System.nanoTime();
            Reply drain = Edge.httpRequest(proxy.adminAddress(), "POST", "/drain");
            assertThat(drain.status()).isEqualTo(200);

            Eventually.eventually(Duration.ofSeconds(1), () -> assertNotReady(proxy.healthAddress()));
            Eventually.eventually(Duration.ofSeconds(1), () -> assertThat(idle.isClosedByPeer())
                    .as("idle keep-alive connection closed at once").isTrue());

            // Callers that have not heard of the drain yet are still served, and told to go elsewhere.
            Reply late = Edge.get(inbound, "/name");
            assertThat(late.status()).isEqualTo(200);
            assertThat(late.header("connection")).isEqualToIgnoringCase("close");

            RawResult slow = Edge.readUntilEof(inFlight, Duration.ofSeconds(5));
            Reply reply = slow.reply();
            assertThat(reply.status()).isEqualTo(200);
            assertThat(reply.bodyText()).isEqualTo("slow\n");
            assertThat(reply.header("connection")).isEqualToIgnoringCase("close");
            assertThat(slow.closed()).isTrue();

            assertThat(proxy.awaitTermination(DRAIN_TIME.plusSeconds(2))).isTrue();
            assertThat(Duration.ofNanos(System.nanoTime() - drainStart)).isLessThan(DRAIN_TIME.plusSeconds(2));
            assertRefused(inbound);
            assertRefused(proxy.healthAddress());
        } finally {
            idle.close();
        }
    }

    @Test
    void aResponseStillOnItsWayWhenTheDrainTimeEndsIsNotCut() throws Exception {
        proxy.close();
        proxy = Edge.start(TestMesh.of(sidecar("edge", "test").set("drainTime", "300ms").inbound(app.address())));
        try (Socket inFlight = new Socket()) {
            long before = app.requestCount();
            inFlight.connect(proxy.inboundAddress(), 2000);
            inFlight.getOutputStream().write(ascii("GET /slow/600 HTTP/1.1\r\nHost: x\r\n\r\n"));
            Eventually.eventually(Duration.ofSeconds(5), () -> assertThat(app.requestCount()).isEqualTo(before + 1));
            assertThat(Edge.httpRequest(proxy.adminAddress(), "POST", "/drain").status()).isEqualTo(200);

            // The drain time (300 ms) ends before the app answers (600 ms): the answer still arrives whole.
            RawResult slow = Edge.readUntilEof(inFlight, Duration.ofSeconds(5));
            assertThat(slow.reply().status()).as(slow.text()).isEqualTo(200);
            assertThat(slow.reply().bodyText()).isEqualTo("slow\n");
            assertThat(proxy.awaitTermination(Duration.ofSeconds(3))).isTrue();
        }
    }

    @Test
    void outboundIsServedAsUsualDuringTheDrain() throws Exception {
        try (KeepAlive app = new KeepAlive(listener)) {
            assertThat(app.get("/name").status()).isEqualTo(200);

            assertThat(Edge.httpRequest(proxy.adminAddress(), "POST", "/drain").status()).isEqualTo(200);
            Eventually.eventually(Duration.ofSeconds(1), () -> assertNotReady(proxy.healthAddress()));

            // The app finishing its work still reaches its dependencies, on the same connection.
            Reply during = app.get("/name");
            assertThat(during.status()).isEqualTo(200);
            assertThat(during.header("connection")).isNull();
            assertThat(Edge.get(listener, "/name").status()).as("a new outbound connection").isEqualTo(200);
        }
        // Once the app's connections are gone, a quiet second ends the drain before its time.
        assertThat(proxy.awaitTermination(DRAIN_TIME.plusSeconds(2))).isTrue();
    }

    @Test
    void drainLetsAnHttp2StreamFinishAndGoesAwayAfterANewStream() throws Exception {
        try (H2cClient h2 = new H2cClient(inbound)) {
            assertThat(h2.get("/name").status()).isEqualTo(200);
            long before = app.requestCount();
            CompletableFuture<H2cClient.Response> slow = CompletableFuture.supplyAsync(() -> {
                try {
                    return h2.get("/slow/1000");
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            Eventually.eventually(Duration.ofSeconds(5), () -> assertThat(app.requestCount()).isEqualTo(before + 1));

            assertThat(Edge.httpRequest(proxy.adminAddress(), "POST", "/drain").status()).isEqualTo(200);

            H2cClient.Response r = slow.get(5, TimeUnit.SECONDS);
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.bodyText()).isEqualTo("slow\n");
        }
        // A connection opened during the drain gets its stream served.
        try (H2cClient late = new H2cClient(inbound)) {
            assertThat(late.get("/name").status()).isEqualTo(200);
        }
        assertThat(proxy.awaitTermination(DRAIN_TIME.plusSeconds(2))).isTrue();
    }

    @Test
    void connectionThatHasNotSpokenYetDoesNotHoldTheDrain() throws Exception {
        try (Socket silent = new Socket()) {
            silent.connect(inbound, 2000);
            // Let the proxy accept it: a completed request on another connection proves the loop has run.
            assertThat(Edge.get(inbound, "/name").status()).isEqualTo(200);

            long drainStart = System.nanoTime();
            assertThat(Edge.httpRequest(proxy.adminAddress(), "POST", "/drain").status()).isEqualTo(200);

            // Idle connections close at once on drain; one that never sent a byte is as idle as it gets.
            RawResult r = Edge.readUntilEof(silent, Duration.ofSeconds(1));
            assertThat(r.closed()).as("silent connection closed at the start of the drain").isTrue();
            assertThat(proxy.awaitTermination(DRAIN_TIME.plusSeconds(2))).isTrue();
            assertThat(Duration.ofNanos(System.nanoTime() - drainStart)).as("a quiet second ends it early")
                    .isLessThan(DRAIN_TIME);
        }
    }

    @Test
    void quitquitquitStopsTheProxy() throws Exception {
        assertThat(Edge.get(listener, "/name").status()).isEqualTo(200);

        Reply quit = Edge.httpRequest(proxy.adminAddress(), "POST", "/quitquitquit");

        assertThat(quit.status()).isEqualTo(200);
        assertThat(proxy.awaitTermination(Duration.ofSeconds(5))).isTrue();
        List<InetSocketAddress> all = new ArrayList<>(List.of(listener, proxy.healthAddress(),
                proxy.metricsAddress()));
        for (InetSocketAddress a : all) {
            assertRefused(a);
        }
    }

    @Test
    void adminActionsNeedPost() throws Exception {
        assertThat(Edge.get(proxy.adminAddress(), "/drain").status()).isEqualTo(405);
        assertThat(Edge.get(proxy.adminAddress(), "/quitquitquit").status()).isEqualTo(405);
        assertThat(proxy.ready()).isTrue();
        assertThat(Edge.get(proxy.healthAddress(), "/healthz/ready").status()).isEqualTo(200);
    }

    /** Readiness answers 503 while draining; once the drain is over the health port is closed, which also says no. */
    private static void assertNotReady(InetSocketAddress health) throws IOException {
        Reply r;
        try {
            r = Edge.get(health, "/healthz/ready");
        } catch (ConnectException gone) {
            return;
        }
        assertThat(r.status()).isEqualTo(503);
        assertThat(r.bodyText()).isEqualTo("not ready\n");
    }

    private static void assertRefused(InetSocketAddress address) {
        assertThatThrownBy(() -> {
            try (Socket s = new Socket()) {
                s.connect(address, 1000);
            }
        }).as("connect to %s", address).isInstanceOf(ConnectException.class);
    }
}
