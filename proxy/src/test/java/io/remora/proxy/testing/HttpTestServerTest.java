package io.remora.proxy.testing;

import io.netty.handler.codec.http.HttpMethod;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

@Timeout(60)
class HttpTestServerTest {
    private static HttpTestServer server;
    private static HttpClient client;

    @BeforeAll
    static void start() {
        server = new HttpTestServer("alpha");
        client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10)).build();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static URI uri(String path) {
        return URI.create("http://127.0.0.1:" + server.port() + path);
    }

    private static HttpResponse<byte[]> get(String path) throws Exception {
        return client.send(HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofByteArray());
    }

    @Test
    void http1EchoStreamsTheBodyBackAndReflectsHeaders() throws Exception {
        byte[] body = Digests.randomBytes(11, 3 * 1024 * 1024 + 17);
        HttpResponse<byte[]> res = client.send(HttpRequest.newBuilder(uri("/echo"))
                        .timeout(Duration.ofSeconds(30))
                        .header("content-type", "application/x-test")
                        .header("x-request-id", "rid-1")
                        .header("x-reflect", "x-request-id, x-absent")
                        .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(res.statusCode()).isEqualTo(200);
        assertThat(res.headers().firstValue("content-type")).hasValue("application/x-test");
        assertThat(res.headers().firstValue("x-seen-x-request-id")).hasValue("rid-1");
        assertThat(res.headers().firstValue("x-seen-x-absent")).isEmpty();
        assertThat(res.headers().firstValue("x-served-by")).hasValue("alpha");
        assertThat(res.headers().firstValue("x-protocol")).hasValue("http/1.1");
        assertThat(Digests.sha256Hex(res.body())).isEqualTo(Digests.sha256Hex(body));
        HttpTestServer.SeenRequest seen = server.lastRequest();
        assertThat(seen.method()).isEqualTo("POST");
        assertThat(seen.uri()).isEqualTo("/echo");
        assertThat(seen.headers().get("x-request-id")).isEqualTo("rid-1");
    }

    @Test
    void http1BytesWithContentLengthAndChunked() throws Exception {
        int n = 5 * 1024 * 1024 + 3;
        HttpResponse<byte[]> fixed = get("/bytes/" + n);
        assertThat(fixed.statusCode()).isEqualTo(200);
        assertThat(fixed.headers().firstValueAsLong("content-length")).hasValue(n);
        assertThat(fixed.body()).isEqualTo(HttpTestServer.expectedBytes(n));

        HttpResponse<byte[]> chunked = get("/bytes/1000?chunked=1");
        assertThat(chunked.headers().firstValue("transfer-encoding")).hasValue("chunked");
        assertThat(chunked.headers().firstValue("content-length")).isEmpty();
        assertThat(chunked.body()).isEqualTo(HttpTestServer.expectedBytes(1000));

        assertThat(get("/bytes/0").body()).isEmpty();
    }

    @Test
    void http1StatusNameSlowAndDefault() throws Exception {
        assertThat(get("/status/418").statusCode()).isEqualTo(418);
        assertThat(get("/status/503").statusCode()).isEqualTo(503);
        assertThat(get("/status/99").statusCode()).isEqualTo(400);
        assertThat(new String(get("/name").body(), StandardCharsets.UTF_8)).isEqualTo("alpha");
        HttpResponse<byte[]> slow = get("/slow/50");
        assertThat(slow.statusCode()).isEqualTo(200);
        assertThat(new String(slow.body(), StandardCharsets.UTF_8)).isEqualTo("slow\n");
        HttpResponse<byte[]> other = get("/anything/else?x=1");
        assertThat(other.statusCode()).isEqualTo(200);
        assertThat(new String(other.body(), StandardCharsets.UTF_8)).isEqualTo("ok\n");
    }

    @Test
    void http1TrailersAndPipelinedRequestsInOrderOnOneConnection() throws Exception {
        long connectionsBefore = server.connectionCount();
        try (Socket s = new Socket("127.0.0.1", server.port())) {
            s.setSoTimeout(30_000);
            OutputStream out = s.getOutputStream();
            // three requests in one write: the slow one must still be answered first
            out.write(("GET /slow/100 HTTP/1.1\r\nHost: t\r\n\r\n"
                    + "GET /trailers HTTP/1.1\r\nHost: t\r\n\r\n"
                    + "GET /name HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            String all = new String(readToEnd(s.getInputStream()), StandardCharsets.US_ASCII);
            int slow = all.indexOf("slow\n");
            int trailer = all.indexOf("x-trailer: done");
            int name = all.indexOf("\r\n\r\nalpha");
            assertThat(slow).isPositive();
            assertThat(trailer).isGreaterThan(slow);
            assertThat(name).isGreaterThan(trailer);
            // the trailer comes after the last (zero) chunk, as a real trailer
            assertThat(all).contains("trailers\n\r\n0\r\nx-trailer: done\r\n\r\n");
        }
        assertThat(server.connectionCount()).isEqualTo(connectionsBefore + 1);
    }

    @Test
    void countsRequestsAndConnections() throws Exception {
        long requests = server.requestCount();
        HttpClient fresh = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        long connections = server.connectionCount();
        for (int i = 0; i < 3; i++) {
            fresh.send(HttpRequest.newBuilder(uri("/")).build(), HttpResponse.BodyHandlers.discarding());
        }
        assertThat(server.requestCount()).isEqualTo(requests + 3);
        assertThat(server.connectionCount()).isEqualTo(connections + 1); // keep-alive reuse
    }

    @Test
    void h2cPriorKnowledgeOnTheSamePort() throws Exception {
        long connections = server.connectionCount();
        try (H2cClient h2 = new H2cClient(server.address())) {
            H2cClient.Response name = h2.get("/name");
            assertThat(name.status()).isEqualTo(200);
            assertThat(name.bodyText()).isEqualTo("alpha");
            assertThat(name.headers().get("x-protocol")).isEqualTo("h2");

            H2cClient.Response status = h2.get("/status/404");
            assertThat(status.status()).isEqualTo(404);

            int n = 2 * 1024 * 1024 + 1;
            H2cClient.Response bytes = h2.get("/bytes/" + n);
            assertThat(bytes.body()).isEqualTo(HttpTestServer.expectedBytes(n));

            byte[] body = Digests.randomBytes(5, 1024 * 1024);
            H2cClient.Response echo = h2.request(HttpMethod.POST, "/echo",
                    Map.of("content-type", "application/grpc", "x-forwarded-for", "10.0.0.1",
                            "x-reflect", "x-forwarded-for"), body);
            assertThat(echo.status()).isEqualTo(200);
            assertThat(echo.headers().get("content-type")).isEqualTo("application/grpc");
            assertThat(echo.headers().get("x-seen-x-forwarded-for")).isEqualTo("10.0.0.1");
            assertThat(echo.body()).isEqualTo(body);

            H2cClient.Response trailers = h2.get("/trailers");
            assertThat(trailers.bodyText()).isEqualTo("trailers\n");
            assertThat(trailers.trailers().get("x-trailer")).isEqualTo("done");

            H2cClient.Response slow = h2.get("/slow/20");
            assertThat(slow.bodyText()).isEqualTo("slow\n");
            assertThat(server.lastRequest().protocol()).isEqualTo("h2");
        }
        assertThat(server.connectionCount()).isEqualTo(connections + 1);
    }

    @Test
    void curlSpeaksH2cPriorKnowledgeToIt() throws Exception {
        assertThat(CommandLine.available("curl", "--version")).as("curl is not installed").isTrue();
        CommandLine.Result r = CommandLine.run(Duration.ofSeconds(30), "curl", "-sS", "--http2-prior-knowledge",
                "-o", "/dev/null", "-w", "%{http_version} %{http_code}", "http://127.0.0.1:" + server.port() + "/name");
        assertThat(r.exitCode()).as(r.output()).isZero();
        assertThat(r.output().trim()).isEqualTo("2 200");
    }

    private static byte[] readToEnd(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        in.transferTo(out);
        return out.toByteArray();
    }
}
