package io.remora.proxy.it.http;

import io.remora.proxy.ProxyServer;
import io.remora.proxy.testing.CommandLine;
import io.remora.proxy.testing.Digests;
import io.remora.proxy.testing.HttpTestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code Expect: 100-continue}: a client that waits for the interim response before sending its body gets
 * it, then the final response. On a raw socket (exact bytes) and with curl when it is installed.
 */
@Timeout(60)
class ExpectContinueTest {
    private static HttpTestServer upstream;
    private static ProxyServer proxy;

    @BeforeAll
    static void start() throws Exception {
        upstream = new HttpTestServer("expect");
        proxy = Proxies.start(Proxies.sidecar("expect"),
                Proxies.service("expect", "http", upstream.address()));
    }

    @AfterAll
    static void stop() {
        if (proxy != null) {
            proxy.close();
        }
        if (upstream != null) {
            upstream.close();
        }
    }

    private static InetSocketAddress listener() {
        return proxy.upstreamAddress(Proxies.key("expect"));
    }

    @Test
    void interimResponseArrivesBeforeTheBodyIsSent() throws Exception {
        try (RawHttp c = new RawHttp(listener())) {
            c.send("POST /echo HTTP/1.1\r\nhost: expect\r\ncontent-type: text/plain\r\ncontent-length: 11\r\n"
                    + "expect: 100-continue\r\n\r\n");
            RawHttp.Head interim = c.readHead();
            assertThat(interim.status()).as("100 Continue before any body byte was sent").isEqualTo(100);
            c.send("hello world");
            RawHttp.Response res = c.readResponse("POST");
            assertThat(res.status()).isEqualTo(200);
            assertThat(res.bodyText()).isEqualTo("hello world");

            // the connection carries on normally afterwards
            c.send("GET /name HTTP/1.1\r\nhost: expect\r\n\r\n");
            assertThat(c.readResponse().bodyText()).isEqualTo("expect");
        }
    }

    @Test
    void clientThatDoesNotWaitStillGetsTheFinalResponse() throws Exception {
        try (RawHttp c = new RawHttp(listener())) {
            c.send("POST /echo HTTP/1.1\r\nhost: expect\r\ncontent-length: 4\r\nexpect: 100-continue\r\n\r\nabcd");
            RawHttp.Response res = c.readResponse("POST");
            assertThat(res.status()).isEqualTo(200);
            assertThat(res.bodyText()).isEqualTo("abcd");
            c.send("GET /name HTTP/1.1\r\nhost: expect\r\n\r\n");
            assertThat(c.readResponse().bodyText()).isEqualTo("expect");
        }
    }

    @Test
    void curlUploadWithExpectContinue(@TempDir Path dir) throws Exception {
        assertThat(CommandLine.available("curl", "--version")).as("curl is not installed").isTrue();
        Path in = dir.resolve("in.bin");
        Path out = dir.resolve("out.bin");
        byte[] body = Digests.randomBytes(71, 2 * 1024 * 1024 + 1);
        Files.write(in, body);
        CommandLine.Result r = CommandLine.run(Duration.ofSeconds(40), "curl", "-sS", "-v", "--http1.1",
                "--max-time", "30", "--expect100-timeout", "20", "-H", "Expect: 100-continue",
                "-H", "content-type: application/octet-stream", "--data-binary", "@" + in, "-o", out.toString(),
                "-w", "status=%{http_code}\n", "http://127.0.0.1:" + listener().getPort() + "/echo");
        assertThat(r.exitCode()).as(r.output()).isZero();
        assertThat(r.output()).contains("< HTTP/1.1 100 Continue").contains("status=200");
        assertThat(Digests.sha256Hex(Files.readAllBytes(out))).isEqualTo(Digests.sha256Hex(body));
    }
}
