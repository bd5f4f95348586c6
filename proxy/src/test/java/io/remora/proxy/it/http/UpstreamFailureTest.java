package io.remora.proxy.it.http;

import io.netty.handler.codec.http.HttpMethod;
import io.remora.proxy.ProxyServer;
import io.remora.proxy.testing.Digests;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * Upstreams that fail: one that closes in the middle of a response (the client must see a truncated,
 * failed response promptly — never a hang or a response that looks complete), one that accepts and closes
 * without answering (a GET is retried on a new connection; a POST is answered 503 {@code UC}: it may have been
 * processed), one that refuses connections (503 {@code UF,URX}: the retry was refused too). Requests afterwards, on
 * new upstream connections, work.
 */
@Timeout(60)
class UpstreamFailureTest {
    /** Well under the raw client's read timeout: a proxy that leaves the client waiting fails this. */
    private static final Duration PROMPTLY = Duration.ofSeconds(10);

    private RawUpstream upstream;
    private ProxyServer proxy;

    @AfterEach
    void stop() throws IOException {
        if (proxy != null) {
            proxy.close();
        }
        if (upstream != null) {
            upstream.close();
        }
    }

    private InetSocketAddress start(RawUpstream.Behaviour... behaviours) throws Exception {
        upstream = new RawUpstream(behaviours);
        proxy = Proxies.start(Proxies.sidecar("flaky"), Proxies.service("flaky", "http", upstream.address()));
        return proxy.upstreamAddress(Proxies.key("flaky"));
    }

    /** Reads the body to its end; returns the failure (null if it completed) and how many bytes came. */
    private record Outcome(Throwable failure, long bytes, long millis) {
    }

    private static Outcome drain(InputStream body) {
        long start = System.nanoTime();
        long[] n = {0};
        Throwable t = catchThrowable(() -> {
            byte[] buf = new byte[8192];
            int k;
            while ((k = body.read(buf)) >= 0) {
                n[0] += k;
            }
        });
        return new Outcome(t, n[0], (System.nanoTime() - start) / 1_000_000);
    }

    @Test
    void http1ClientSeesTruncatedBodyWhenUpstreamClosesMidResponse() throws Exception {
        InetSocketAddress listener = start(RawUpstream.truncated(100_000, 1_000), RawUpstream.ok("fine"));
        try (RawHttp c = new RawHttp(listener)) {
            c.send("GET /big HTTP/1.1\r\nhost: flaky\r\n\r\n");
            RawHttp.Head head = c.readHead();
            assertThat(head.status()).isEqualTo(200);
            assertThat(head.contentLength()).isEqualTo(100_000);
            Outcome o = drain(c.body(head, "GET"));
            assertThat(o.bytes()).isEqualTo(1_000);
            assertThat(o.failure()).as("the body ends early, by a close (%d ms)", o.millis())
                    .isInstanceOf(EOFException.class)
                    .isNotInstanceOf(SocketTimeoutException.class);
            assertThat(o.millis()).isLessThan(PROMPTLY.toMillis());
        }
        try (RawHttp c = new RawHttp(listener)) {
            c.send("GET /again HTTP/1.1\r\nhost: flaky\r\n\r\n");
            RawHttp.Response res = c.readResponse();
            assertThat(res.status()).isEqualTo(200);
            assertThat(res.bodyText()).isEqualTo("fine");
        }
        assertThat(upstream.connectionCount()).isEqualTo(2);
    }

    @Test
    void http1ClientSeesTruncatedChunkedBodyWhenUpstreamClosesMidResponse() throws Exception {
        InetSocketAddress listener = start(RawUpstream.truncatedChunked(3_000), RawUpstream.ok("fine"));
        try (RawHttp c = new RawHttp(listener)) {
            c.send("GET /big HTTP/1.1\r\nhost: flaky\r\n\r\n");
            RawHttp.Head head = c.readHead();
            assertThat(head.status()).isEqualTo(200);
            assertThat(head.chunked()).isTrue();
            Outcome o = drain(c.body(head, "GET"));
            assertThat(o.bytes()).isEqualTo(3_000);
            assertThat(o.failure()).as("no last chunk, the connection closes (%d ms)", o.millis())
                    .isInstanceOf(EOFException.class);
            assertThat(o.millis()).isLessThan(PROMPTLY.toMillis());
        }
        try (RawHttp c = new RawHttp(listener)) {
            c.send("GET /again HTTP/1.1\r\nhost: flaky\r\n\r\n");
            assertThat(c.readResponse().bodyText()).isEqualTo("fine");
        }
    }

    @Test
    void jdkClientGetsAnErrorNotAHangWhenUpstreamClosesMidResponse() throws Exception {
        InetSocketAddress listener = start(RawUpstream.truncated(50_000, 2_000), RawUpstream.ok("fine"));
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        URI uri = URI.create("http://127.0.0.1:" + listener.getPort() + "/big");
        long start = System.nanoTime();
        HttpRequest request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(15)).build();
        Throwable t = catchThrowable(() -> client.send(request, HttpResponse.BodyHandlers.ofByteArray()));
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertThat(t).as("after %d ms", millis).isInstanceOf(IOException.class)
                .isNotInstanceOf(HttpTimeoutException.class);
        HttpResponse<String> again = client.send(request, HttpResponse.BodyHandlers.ofString());
        assertThat(again.statusCode()).isEqualTo(200);
        assertThat(again.body()).isEqualTo("fine");
    }

    @Test
    void h2StreamIsResetWhenUpstreamClosesMidResponseAndTheConnectionGoesOn() throws Exception {
        InetSocketAddress listener = start(RawUpstream.truncated(100_000, 1_000), RawUpstream.ok("fine"));
        try (StreamingH2Client client = new StreamingH2Client(listener)) {
            StreamingH2Client.Call call = client.start(HttpMethod.GET, "/big", Map.of(), null);
            long start = System.nanoTime();
            Throwable t = catchThrowable(() -> call.await(Duration.ofSeconds(15)));
            long millis = (System.nanoTime() - start) / 1_000_000;
            assertThat(t).as("the stream fails (after %d ms) instead of ending cleanly", millis)
                    .isInstanceOf(IOException.class);
            assertThat(t.getMessage()).doesNotContain("timed out");
            assertThat(call.received()).isLessThan(100_000);

            StreamingH2Client.Result next = client.start(HttpMethod.GET, "/again", Map.of(), null)
                    .await(Duration.ofSeconds(15));
            assertThat(next.status()).isEqualTo(200);
            assertThat(next.sha256()).isEqualTo(Digests.sha256Hex("fine".getBytes()));
        }
    }

    @Test
    void aGetIsRetriedOnANewConnectionWhenTheUpstreamClosesWithoutResponse() throws Exception {
        InetSocketAddress listener = start(RawUpstream.closeWithoutResponse(), RawUpstream.ok("fine"));
        try (RawHttp c = new RawHttp(listener)) {
            c.send("GET /x HTTP/1.1\r\nhost: flaky\r\n\r\n");
            RawHttp.Response res = c.readResponse();
            assertThat(res.status()).isEqualTo(200);
            assertThat(res.bodyText()).isEqualTo("fine");
            assertThat(res.header("x-remora-response-flags")).isNull();
        }
        assertThat(upstream.connectionCount()).isEqualTo(2);
    }

    @Test
    void aPostIsNotRetriedWhenTheUpstreamClosesWithoutResponse503UC() throws Exception {
        InetSocketAddress listener = start(RawUpstream.closeWithoutResponse(), RawUpstream.ok("fine"));
        try (RawHttp c = new RawHttp(listener)) {
            c.send("POST /x HTTP/1.1\r\nhost: flaky\r\ncontent-length: 2\r\n\r\nhi");
            RawHttp.Response res = c.readResponse();
            assertThat(res.status()).isEqualTo(503);
            assertThat(res.header("x-remora-response-flags")).isEqualTo("UC");
            // the downstream connection survives a local reply to a request whose body was read in full
            c.send("GET /y HTTP/1.1\r\nhost: flaky\r\n\r\n");
            RawHttp.Response next = c.readResponse();
            assertThat(next.status()).isEqualTo(200);
            assertThat(next.bodyText()).isEqualTo("fine");
        }
    }

    @Test
    void h2PostIsNotRetriedWhenTheUpstreamClosesWithoutResponse503UC() throws Exception {
        InetSocketAddress listener = start(RawUpstream.closeWithoutResponse(), RawUpstream.ok("fine"));
        try (StreamingH2Client client = new StreamingH2Client(listener)) {
            StreamingH2Client.Result res = client.start(HttpMethod.POST, "/x", Map.of(), new StreamingH2Client.Body(1, 2, true))
                    .await(Duration.ofSeconds(15));
            assertThat(res.status()).isEqualTo(503);
            assertThat(res.rawHeaders().get("x-remora-response-flags")).hasToString("UC");
        }
    }

    @Test
    void refusedUpstreamGives503UFAndURXOnceTheRetryIsRefusedToo() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            port = s.getLocalPort();
        }
        proxy = Proxies.start(Proxies.sidecar("gone"),
                Proxies.service("gone", "http", new InetSocketAddress("127.0.0.1", port)));
        try (RawHttp c = new RawHttp(proxy.upstreamAddress(Proxies.key("gone")))) {
            c.send("GET /x HTTP/1.1\r\nhost: gone\r\n\r\n");
            RawHttp.Response res = c.readResponse();
            assertThat(res.status()).isEqualTo(503);
            assertThat(res.header("x-remora-response-flags")).isEqualTo("UF,URX");
        }
    }
}
