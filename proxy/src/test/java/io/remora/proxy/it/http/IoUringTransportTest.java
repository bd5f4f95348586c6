package io.remora.proxy.it.http;

import io.netty.handler.codec.http.HttpMethod;
import io.remora.proxy.ProxyServer;
import io.remora.proxy.testing.H2cClient;
import io.remora.proxy.testing.HttpTestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.Map;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A Sidecar that asks for {@code transport: io-uring} (the app's server on the JVM's default transport) starts on
 * io_uring and proxies HTTP/1.1 and h2c, bodies larger than a socket buffer included. The rest of the
 * suite runs a second time on io_uring ({@code -Dremora.transport=io_uring}, the pom's second test pass).
 */
@Timeout(30)
class IoUringTransportTest {
    private HttpTestServer upstream;
    private ProxyServer proxy;

    @BeforeEach
    void start() throws Exception {
        upstream = new HttpTestServer("ring");
        proxy = Proxies.start(Proxies.sidecar("ring").set("transport", "io-uring"),
                Proxies.service("ring", "http", upstream.address()));
    }

    @AfterEach
    void stop() {
        if (proxy != null) {
            proxy.close();
        }
        if (upstream != null) {
            upstream.close();
        }
    }

    private InetSocketAddress listener() {
        return proxy.upstreamAddress(Proxies.key("ring"));
    }

    @Test
    void startsOnIoUring() {
        assertThat(proxy.transport()).isEqualTo("io_uring");
    }

    @Test
    void proxiesHttp1KeepAliveAndLargeBodies() throws Exception {
        byte[] big = new byte[3 * 1024 * 1024];
        Arrays.fill(big, (byte) 'r');
        try (RawHttp c = new RawHttp(listener())) {
            for (int i = 0; i < 3; i++) {
                c.send("GET /name HTTP/1.1\r\nhost: ring\r\n\r\n");
                assertThat(c.readResponse().bodyText()).isEqualTo("ring");
                c.send("POST /echo HTTP/1.1\r\nhost: ring\r\ncontent-length: " + big.length + "\r\n\r\n"
                        + new String(big, US_ASCII));
                assertThat(c.readResponse("POST").bodyText()).isEqualTo(new String(big, US_ASCII));
            }
        }
    }

    @Test
    void proxiesH2c() throws Exception {
        byte[] body = new byte[200_000];
        Arrays.fill(body, (byte) 'h');
        try (H2cClient c = new H2cClient(listener())) {
            assertThat(c.get("/name").bodyText()).isEqualTo("ring");
            H2cClient.Response echo = c.request(HttpMethod.POST, "/echo", Map.of(), body);
            assertThat(echo.status()).isEqualTo(200);
            assertThat(echo.body()).isEqualTo(body);
        }
    }
}
