package io.remora.proxy.it.edge;

import io.remora.config.testing.Eventually;
import io.remora.config.testing.TestMesh;
import io.remora.config.testing.TestMesh.SidecarDoc;
import io.remora.proxy.ProxyServer;
import com.fasterxml.jackson.databind.JsonNode;
import io.remora.proxy.it.edge.Edge.LineSink;
import io.remora.proxy.it.edge.Edge.RawResult;
import io.remora.proxy.testing.Digests;
import io.remora.proxy.testing.TcpEchoServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static io.remora.config.testing.TestMesh.list;
import static io.remora.config.testing.TestMesh.loopback;
import static io.remora.config.testing.TestMesh.service;
import static io.remora.config.testing.TestMesh.sidecar;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Opaque TCP through the proxy: byte-identical echo of 0 B, 1 KiB and 16 MiB with the client half-closing, Istio's
 * TCP metrics counting connections and bytes, and server-first protocols on the inbound listener (the client
 * receives the server's banner without sending anything).
 */
@Timeout(60)
class TcpProxyTest {
    private static final long SEED = 0x7C9_EC40L;

    private TcpEchoServer echo;
    private LineSink accessLog;
    private ProxyServer proxy;

    @AfterEach
    void stop() {
        if (proxy != null) {
            proxy.close();
        }
        if (accessLog != null) {
            accessLog.close();
        }
        if (echo != null) {
            echo.close();
        }
    }

    /** A proxy with three TCP services: echo.test (the echo server), refused.test (nobody listens), empty.test. */
    private InetSocketAddress startEchoProxy() throws Exception {
        echo = new TcpEchoServer();
        accessLog = new LineSink();
        proxy = Edge.start(TestMesh.of(
                sidecar("edge", "test").threads(2).accessLog(true).upstream("echo.test").upstream("refused.test")
                        .upstream("empty.test"),
                service("echo", "test").protocol("tcp").endpoint(echo.address()),
                service("refused", "test").protocol("tcp").endpoint(loopback(Edge.closedPort())),
                service("empty", "test").protocol("tcp")), accessLog);
        return proxy.upstreamAddress("echo.test");
    }

    @ParameterizedTest(name = "{0} bytes")
    @ValueSource(ints = {0, 1024, 16 * 1024 * 1024})
    void echoIsByteIdenticalAndHalfCloseDeliversEverything(int size) throws Exception {
        InetSocketAddress listener = startEchoProxy();

        long received = echoThrough(listener, size);

        assertThat(received).isEqualTo(size);
        assertThat(echo.connectionCount()).isEqualTo(1);
    }

    @Test
    void tcpMetricsCountConnectionsAndBytes() throws Exception {
        InetSocketAddress listener = startEchoProxy();
        int[] sizes = {0, 1024, 100_000};
        long total = 0;
        for (int size : sizes) {
            assertThat(echoThrough(listener, size)).isEqualTo(size);
            total += size;
        }
        long bytes = total;
        String[] labels = {"reporter", "source", "destination_service", "echo.test.svc.cluster.local",
                "source_workload", "edge", "source_workload_namespace", "test"};
        Eventually.eventually(Duration.ofSeconds(5), () -> {
            String scrape = Edge.scrape(proxy);
            assertThat(Edge.sample(scrape, "istio_tcp_connections_opened_total", labels)).isEqualTo(sizes.length);
            assertThat(Edge.sample(scrape, "istio_tcp_connections_closed_total", labels)).isEqualTo(sizes.length);
            assertThat(Edge.sample(scrape, "istio_tcp_received_bytes_total", labels)).isEqualTo(bytes);
            assertThat(Edge.sample(scrape, "istio_tcp_sent_bytes_total", labels)).isEqualTo(bytes);
        });
        // One access-log line per connection, with its byte counts.
        Eventually.eventually(Duration.ofSeconds(5), () -> {
            List<JsonNode> lines = accessLog.lines();
            assertThat(lines).hasSize(sizes.length);
            for (int i = 0; i < sizes.length; i++) {
                JsonNode l = lines.get(i);
                assertThat(l.path("protocol").asText()).isEqualTo("TCP");
                assertThat(l.path("flags").asText()).isEqualTo("-");
                assertThat(l.path("upstream_cluster").asText()).isEqualTo("echo.test");
                assertThat(l.path("upstream_host").asText()).isEqualTo("127.0.0.1:" + echo.port());
            }
            assertThat(lines.stream().map(l -> l.path("bytes_received").asLong()).sorted().toList())
                    .containsExactly(0L, 1024L, 100_000L);
            assertThat(lines.stream().map(l -> l.path("bytes_sent").asLong()).sorted().toList())
                    .containsExactly(0L, 1024L, 100_000L);
        });
    }

    @Test
    void refusedEndpointClosesTheClientConnectionAndIsLoggedWithUF() throws Exception {
        startEchoProxy();
        assertClosedPromptly(proxy.upstreamAddress("refused.test"));
        String scrape = Edge.scrape(proxy);
        assertThat(Edge.sample(scrape, "istio_tcp_connections_opened_total", "destination_service", "refused.test.svc.cluster.local"))
                .as("a connection that never reached the upstream is not counted as opened").isZero();
        Eventually.eventually(Duration.ofSeconds(2), () -> assertThat(accessLog.lines())
                .as("access log after a refused TCP connect").anySatisfy(l -> {
                    assertThat(l.path("protocol").asText()).isEqualTo("TCP");
                    assertThat(l.path("flags").asText()).isEqualTo("UF");
                    assertThat(l.path("upstream_cluster").asText()).isEqualTo("refused.test");
                }));
    }

    @Test
    void refusedEndpointDoesNotKeepAnActiveRequest() throws Exception {
        startEchoProxy();
        assertClosedPromptly(proxy.upstreamAddress("refused.test"));
        assertClosedPromptly(proxy.upstreamAddress("refused.test"));
        // The least-request balancer reads this count: one that only grows starves the endpoint for good.
        Eventually.eventually(Duration.ofSeconds(2), () -> assertThat(
                Edge.get(proxy.adminAddress(), "/clusters").bodyText().lines().filter(l -> l.startsWith("refused.test::")
                        && l.contains("::rq_active::")).toList())
                .as("rq_active of the refused endpoint once its connections are gone")
                .singleElement().asString().endsWith("::rq_active::0"));
    }

    @Test
    void serviceWithoutEndpointsClosesTheClientConnectionWithUH() throws Exception {
        startEchoProxy();
        assertClosedPromptly(proxy.upstreamAddress("empty.test"));
        Eventually.eventually(Duration.ofSeconds(5), () -> assertThat(accessLog.lines()).anySatisfy(l -> {
            assertThat(l.path("protocol").asText()).isEqualTo("TCP");
            assertThat(l.path("flags").asText()).isEqualTo("UH");
        }));
    }

    private static void assertClosedPromptly(InetSocketAddress to) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(to, 2000);
            RawResult r = Edge.readUntilEof(s, Duration.ofSeconds(3));
            assertThat(r.closed()).as("closed by the proxy").isTrue();
            assertThat(r.bytes()).isEmpty();
        }
    }

    @Test
    void openConnectionIsCountedOpenedButNotClosed() throws Exception {
        InetSocketAddress listener = startEchoProxy();
        try (Socket s = new Socket()) {
            s.connect(listener, 2000);
            s.setSoTimeout(5000);
            s.getOutputStream().write("ping".getBytes(StandardCharsets.US_ASCII));
            assertThat(s.getInputStream().readNBytes(4)).isEqualTo("ping".getBytes(StandardCharsets.US_ASCII));
            String[] labels = {"destination_service", "echo.test.svc.cluster.local"};
            Eventually.eventually(Duration.ofSeconds(5), () -> {
                String scrape = Edge.scrape(proxy);
                assertThat(Edge.sample(scrape, "istio_tcp_connections_opened_total", labels)).isEqualTo(1.0);
                assertThat(Edge.sample(scrape, "istio_tcp_connections_closed_total", labels)).isEqualTo(0.0);
            });
        }
        Eventually.eventually(Duration.ofSeconds(5), () -> {
            String scrape = Edge.scrape(proxy);
            assertThat(Edge.sample(scrape, "istio_tcp_connections_closed_total", "destination_service", "echo.test.svc.cluster.local"))
                    .isEqualTo(1.0);
            assertThat(Edge.sample(scrape, "istio_tcp_received_bytes_total", "destination_service", "echo.test.svc.cluster.local"))
                    .isEqualTo(4.0);
        });
    }

    @Test
    void inboundTcpAppThatSpeaksFirstGetsItsBannerThrough() throws Exception {
        try (BannerServer app = new BannerServer("220 banner ready\r\n")) {
            proxy = Edge.start(TestMesh.of(inboundSidecar(app.port(), "tcp")));
            assertBannerWithoutSending(proxy.inboundAddress(), "220 banner ready\r\n");
        }
    }

    @Test
    void inboundHttpAppOnAServerFirstPortIsRelayedWithoutWaiting() throws Exception {
        try (BannerServer app = new BannerServer("* OK server first\r\n")) {
            proxy = Edge.start(TestMesh.of(inboundSidecar(app.port(), "http")
                    .set("serverFirstPorts", list(app.port()))));
            assertBannerWithoutSending(proxy.inboundAddress(), "* OK server first\r\n");
        }
    }

    private static SidecarDoc inboundSidecar(int appPort, String appProtocol) {
        return sidecar("edge", "test").threads(2).inbound(loopback(appPort), appProtocol);
    }

    /**
     * The banner must arrive well before the proxy's 5 s protocol-detection timeout would have handed a silent
     * client over: a proxy that waited for the client first would fail this.
     */
    private static void assertBannerWithoutSending(InetSocketAddress to, String banner) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(to, 2000);
            s.setSoTimeout(3000);
            byte[] expected = banner.getBytes(StandardCharsets.US_ASCII);
            byte[] got = s.getInputStream().readNBytes(expected.length);
            assertThat(new String(got, StandardCharsets.US_ASCII)).isEqualTo(banner);
            // Then the client speaks and the app answers, through the same relay.
            s.getOutputStream().write("QUIT\r\n".getBytes(StandardCharsets.US_ASCII));
            s.shutdownOutput();
            RawResult rest = Edge.readUntilEof(s, Duration.ofSeconds(3));
            assertThat(rest.text()).isEqualTo("bye QUIT\r\n");
            assertThat(rest.closed()).isTrue();
        }
    }

    /**
     * Sends {@code size} seeded bytes, half-closes, reads the echo to EOF, and checks it is byte-identical.
     *
     * @return bytes received
     */
    private long echoThrough(InetSocketAddress to, int size) throws Exception {
        try (Socket s = new Socket()) {
            s.connect(to, 2000);
            s.setSoTimeout(20_000);
            CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
                try (InputStream data = Digests.randomStream(SEED, size)) {
                    OutputStream out = s.getOutputStream();
                    data.transferTo(out);
                    out.flush();
                    s.shutdownOutput();
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            MessageDigest md = Digests.sha256();
            InputStream in = s.getInputStream();
            byte[] buf = new byte[64 * 1024];
            long received = 0;
            int n;
            while ((n = in.read(buf)) >= 0) {
                md.update(buf, 0, n);
                received += n;
            }
            writer.get(20, TimeUnit.SECONDS);
            if (received != size) {
                // Say which hop lost bytes: what the echo server read, and what the proxy relayed each way.
                Thread.sleep(200);
                throw new AssertionError("echo of " + size + " bytes came back with " + received
                        + "; the echo server read " + echo.bytesEchoed() + " in all; proxy access log: "
                        + accessLog.lines());
            }
            assertThat(HexFormat.of().formatHex(md.digest())).as("digest of the echo")
                    .isEqualTo(Digests.sha256OfRandom(SEED, size));
            return received;
        }
    }

    /**
     * Speaks first: writes a banner on accept, then reads one line and answers {@code bye <line>}, and closes when
     * the client half-closes.
     */
    private static final class BannerServer implements AutoCloseable {
        private final ServerSocket server;
        private final Thread thread;
        private final String banner;

        BannerServer(String banner) throws IOException {
            this.banner = banner;
            server = new ServerSocket(0, 10, InetAddress.getByName("127.0.0.1"));
            thread = new Thread(this::run, "banner-server");
            thread.setDaemon(true);
            thread.start();
        }

        int port() {
            return server.getLocalPort();
        }

        private void run() {
            while (!server.isClosed()) {
                try (Socket s = server.accept()) {
                    s.setSoTimeout(10_000);
                    OutputStream out = s.getOutputStream();
                    out.write(banner.getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                    byte[] line = s.getInputStream().readAllBytes();
                    out.write(("bye " + new String(line, StandardCharsets.US_ASCII)).getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                } catch (IOException e) {
                    // closed, or the client went away
                }
            }
        }

        @Override
        public void close() throws Exception {
            server.close();
            thread.join(2000);
        }
    }
}
