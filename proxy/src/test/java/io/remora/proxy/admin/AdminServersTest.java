package io.remora.proxy.admin;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.channel.EventLoopGroup;
import io.remora.config.HostPort;
import io.remora.net.ListenFailure;
import io.remora.proxy.Transport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@Timeout(60)
class AdminServersTest {
    private static final Transport TRANSPORT = Transport.best();
    private static final HostPort ANY_LOOPBACK = new HostPort("127.0.0.1", 0);
    private static EventLoopGroup group;

    private FakeView view;
    private AdminServers servers;
    private final io.remora.proxy.net.OwnPorts ownPorts = new io.remora.proxy.net.OwnPorts();
    private HttpClient client;

    /** A view with switchable health, a recorded drain/quit and a real registry. */
    static final class FakeView implements AdminView {
        final AtomicBoolean ready = new AtomicBoolean(true);
        final AtomicBoolean live = new AtomicBoolean(true);
        final CountDownLatch drained = new CountDownLatch(1);
        final CountDownLatch quit = new CountDownLatch(1);
        final AtomicReference<String> drainThread = new AtomicReference<>();
        final AtomicReference<String> configDumpThread = new AtomicReference<>();
        final AtomicReference<String> scrapeThread = new AtomicReference<>();
        final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);

        FakeView() {
            Counter.builder("remora.test.events").register(registry).increment(3);
            Gauge.builder("remora.test.scrape.probe", () -> {
                scrapeThread.set(Thread.currentThread().getName());
                return 1;
            }).register(registry);
        }

        @Override
        public String configDumpJson() {
            configDumpThread.set(Thread.currentThread().getName());
            return "{\"version\":\"v7\",\"services\":[]}";
        }

        @Override
        public String clustersText() {
            return "payments.shop\n  10.0.0.1:8080 healthy\n";
        }

        @Override
        public String configVersion() {
            return "v7";
        }

        @Override
        public boolean ready() {
            return ready.get();
        }

        @Override
        public boolean live() {
            return live.get();
        }

        @Override
        public void drain() {
            drainThread.set(Thread.currentThread().getName());
            ready.set(false);
            drained.countDown();
        }

        @Override
        public void quit() {
            quit.countDown();
        }

        @Override
        public PrometheusMeterRegistry registry() {
            return registry;
        }
    }

    @BeforeAll
    static void startGroup() {
        group = TRANSPORT.newGroup(1, "admin-test");
    }

    @AfterAll
    static void stopGroup() {
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @BeforeEach
    void start() throws InterruptedException {
        view = new FakeView();
        servers = AdminServers.start(group, TRANSPORT, ANY_LOOPBACK, ANY_LOOPBACK, ANY_LOOPBACK, view, ownPorts);
        client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10)).build();
    }

    @AfterEach
    void stop() {
        servers.close();
    }

    private HttpResponse<String> send(InetSocketAddress at, String method, String path, String accept)
            throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + at.getPort() + path))
                .timeout(Duration.ofSeconds(30))
                .method(method, method.equals("POST") ? HttpRequest.BodyPublishers.ofString("")
                        : HttpRequest.BodyPublishers.noBody());
        if (accept != null) {
            b.header("Accept", accept);
        }
        return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> admin(String method, String path) throws Exception {
        return send(servers.adminAddress(), method, path, null);
    }

    private HttpResponse<String> health(String path) throws Exception {
        return send(servers.healthAddress(), "GET", path, null);
    }

    @Test
    void listenersBindDistinctLoopbackPortsAndRegisterThemAsOwn() {
        assertThat(servers.adminAddress().getAddress().isLoopbackAddress()).isTrue();
        assertThat(servers.adminAddress().getPort()).isPositive();
        assertThat(servers.metricsAddress().getPort()).isPositive();
        assertThat(servers.healthAddress().getPort()).isPositive();
        assertThat(java.util.Set.of(servers.adminAddress().getPort(), servers.metricsAddress().getPort(),
                servers.healthAddress().getPort())).hasSize(3);
        assertThat(ownPorts.snapshot()).contains(servers.adminAddress().getPort(),
                servers.metricsAddress().getPort(), servers.healthAddress().getPort());
        int adminPort = servers.adminAddress().getPort();
        servers.close();
        assertThat(ownPorts.snapshot()).doesNotContain(adminPort);
        assertThatThrownBy(() -> new Socket("127.0.0.1", adminPort).close())
                .isInstanceOf(java.net.ConnectException.class);
    }

    @Test
    void adminIndexConfigDumpAndClusters() throws Exception {
        HttpResponse<String> index = admin("GET", "/");
        assertThat(index.statusCode()).isEqualTo(200);
        assertThat(index.headers().firstValue("content-type")).hasValue("text/plain; charset=utf-8");
        assertThat(index.body()).contains("v7", "/config_dump", "/clusters", "/drain", "/quitquitquit");

        HttpResponse<String> dump = admin("GET", "/config_dump");
        assertThat(dump.statusCode()).isEqualTo(200);
        assertThat(dump.headers().firstValue("content-type")).hasValue("application/json");
        assertThat(dump.headers().firstValue("x-remora-config-version")).hasValue("v7");
        assertThat(dump.body()).isEqualTo("{\"version\":\"v7\",\"services\":[]}");
        assertThat(view.configDumpThread.get()).isEqualTo("remora-admin");

        HttpResponse<String> clusters = admin("GET", "/clusters?format=text");
        assertThat(clusters.statusCode()).isEqualTo(200);
        assertThat(clusters.headers().firstValue("content-type")).hasValue("text/plain; charset=utf-8");
        assertThat(clusters.body()).isEqualTo("payments.shop\n  10.0.0.1:8080 healthy\n");
    }

    @Test
    void drainAnswersThenDrainsOffTheEventLoop() throws Exception {
        HttpResponse<String> res = admin("POST", "/drain");
        assertThat(res.statusCode()).isEqualTo(200);
        assertThat(res.body()).isEqualTo("draining\n");
        assertThat(view.drained.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(view.drainThread.get()).isEqualTo("remora-admin");
        assertThat(health("/healthz/ready").statusCode()).isEqualTo(503);
        assertThat(admin("GET", "/ready").statusCode()).isEqualTo(503);
    }

    @Test
    void quitquitquitAnswersOkThenQuits() throws Exception {
        HttpResponse<String> res = admin("POST", "/quitquitquit");
        assertThat(res.statusCode()).isEqualTo(200);
        assertThat(res.body()).isEqualTo("OK\n");
        assertThat(view.quit.await(10, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void wrongMethodIs405WithAllowAndUnknownPathIs404() throws Exception {
        for (String path : new String[] {"/drain", "/quitquitquit"}) {
            HttpResponse<String> get = admin("GET", path);
            assertThat(get.statusCode()).as(path).isEqualTo(405);
            assertThat(get.headers().firstValue("allow")).as(path).hasValue("POST");
        }
        assertThat(view.drained.getCount()).isEqualTo(1);
        assertThat(view.quit.getCount()).isEqualTo(1);

        HttpResponse<String> post = admin("POST", "/config_dump");
        assertThat(post.statusCode()).isEqualTo(405);
        assertThat(post.headers().firstValue("allow")).hasValue("GET");

        assertThat(admin("GET", "/nope").statusCode()).isEqualTo(404);
        assertThat(send(servers.metricsAddress(), "GET", "/config_dump", null).statusCode()).isEqualTo(404);
        assertThat(health("/stats/prometheus").statusCode()).isEqualTo(404);
    }

    @Test
    void readyMirrorOnAdmin() throws Exception {
        HttpResponse<String> ready = admin("GET", "/ready");
        assertThat(ready.statusCode()).isEqualTo(200);
        assertThat(ready.body()).isEqualTo("ready\n");
    }

    @Test
    void prometheusTextByDefaultScrapedOffTheEventLoop() throws Exception {
        HttpResponse<String> res = send(servers.metricsAddress(), "GET", "/stats/prometheus", null);
        assertThat(res.statusCode()).isEqualTo(200);
        assertThat(res.headers().firstValue("content-type")).hasValue("text/plain; version=0.0.4; charset=utf-8");
        assertThat(res.body()).contains("# TYPE remora_test_events_total counter", "remora_test_events_total 3.0");
        assertThat(res.body()).doesNotContain("# EOF");
        assertThat(view.scrapeThread.get()).isEqualTo("remora-admin");

        HttpResponse<String> plain = send(servers.metricsAddress(), "GET", "/stats/prometheus",
                "text/plain;version=0.0.4;q=0.5,*/*;q=0.1");
        assertThat(plain.headers().firstValue("content-type")).hasValue("text/plain; version=0.0.4; charset=utf-8");
    }

    @Test
    void openMetricsWhenAccepted() throws Exception {
        // what Prometheus sends
        String accept = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;"
                + "q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
        HttpResponse<String> res = send(servers.metricsAddress(), "GET", "/stats/prometheus", accept);
        assertThat(res.statusCode()).isEqualTo(200);
        assertThat(res.headers().firstValue("content-type"))
                .hasValue("application/openmetrics-text; version=1.0.0; charset=utf-8");
        assertThat(res.body()).contains("remora_test_events_total 3.0").endsWith("# EOF\n");

        HttpResponse<String> refused = send(servers.metricsAddress(), "GET", "/stats/prometheus",
                "application/openmetrics-text; q=0, text/plain");
        assertThat(refused.headers().firstValue("content-type"))
                .hasValue("text/plain; version=0.0.4; charset=utf-8");
    }

    @Test
    void scrapeContentTypeNegotiation() {
        assertThat(AdminServers.scrapeContentType(null)).isEqualTo(AdminServers.PROMETHEUS_TEXT);
        assertThat(AdminServers.scrapeContentType("*/*")).isEqualTo(AdminServers.PROMETHEUS_TEXT);
        assertThat(AdminServers.scrapeContentType("Application/OpenMetrics-Text; version=1.0.0"))
                .isEqualTo(AdminServers.OPENMETRICS_TEXT);
        assertThat(AdminServers.scrapeContentType("application/openmetrics-text;q=0.0"))
                .isEqualTo(AdminServers.PROMETHEUS_TEXT);
        assertThat(AdminServers.scrapeContentType("application/openmetrics-text;q=bogus"))
                .isEqualTo(AdminServers.PROMETHEUS_TEXT);
    }

    @Test
    void healthReadyAndLiveFollowTheView() throws Exception {
        HttpResponse<String> ready = health("/healthz/ready");
        assertThat(ready.statusCode()).isEqualTo(200);
        assertThat(ready.body()).isEqualTo("ready\n");
        HttpResponse<String> live = health("/healthz/live");
        assertThat(live.statusCode()).isEqualTo(200);

        view.ready.set(false);
        view.live.set(false);
        HttpResponse<String> notReady = health("/healthz/ready");
        assertThat(notReady.statusCode()).isEqualTo(503);
        assertThat(notReady.body()).isEqualTo("not ready\n");
        assertThat(health("/healthz/live").statusCode()).isEqualTo(503);
        assertThat(health("/healthz/other").statusCode()).isEqualTo(404);
    }

    @Test
    void keepAliveAnswersPipelinedRequestsInOrderAndHonoursConnectionClose() throws Exception {
        try (Socket s = new Socket("127.0.0.1", servers.healthAddress().getPort())) {
            s.setSoTimeout(30_000);
            OutputStream out = s.getOutputStream();
            out.write(("GET /healthz/live HTTP/1.1\r\nHost: x\r\n\r\n"
                    + "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n"
                    + "GET /healthz/ready HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            // the server closes after the third response, so this returns
            String all = new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
            int live = all.indexOf("live\n");
            int notFound = all.indexOf("HTTP/1.1 404");
            int ready = all.indexOf("ready\n");
            assertThat(live).isPositive();
            assertThat(notFound).isGreaterThan(live);
            assertThat(ready).isGreaterThan(notFound);
            assertThat(all.split("HTTP/1.1 ", -1)).hasSize(4);
        }
        try (Socket s = new Socket("127.0.0.1", servers.adminAddress().getPort())) {
            s.setSoTimeout(30_000);
            // HTTP/1.0 without keep-alive: one answer, then the server closes
            s.getOutputStream().write("GET /config_dump HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            String all = new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
            assertThat(all).startsWith("HTTP/1.0 200").endsWith("{\"version\":\"v7\",\"services\":[]}");
        }
    }

    @Test
    void bindFailureClosesWhatWasBoundAndThrows() throws Exception {
        // Three ports at once, so all differ; the first two are free again by the time the servers bind them.
        ServerSocket admin = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"));
        ServerSocket metrics = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"));
        int adminPort = admin.getLocalPort();
        int metricsPort = metrics.getLocalPort();
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            admin.close();
            metrics.close();
            HostPort busy = new HostPort("127.0.0.1", taken.getLocalPort());
            assertThatThrownBy(() -> AdminServers.start(group, TRANSPORT, new HostPort("127.0.0.1", adminPort),
                    new HostPort("127.0.0.1", metricsPort), busy, new FakeView(), ownPorts))
                    .isInstanceOf(ListenFailure.class)
                    .hasMessage("cannot listen on " + busy + " (health): address already in use");
        }
        assertThat(ownPorts.snapshot()).doesNotContain(adminPort, metricsPort);
        // the two listeners bound before the failure were closed: their ports can be bound again
        for (int port : new int[] {adminPort, metricsPort}) {
            try (ServerSocket again = new ServerSocket()) {
                again.bind(new InetSocketAddress("127.0.0.1", port));
            }
        }
    }
}
