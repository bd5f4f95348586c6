package io.remora.proxy.it.http;

import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetric;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import io.netty.handler.codec.http.HttpMethod;
import io.remora.config.testing.Eventually;
import io.remora.proxy.ProxyServer;
import io.remora.proxy.testing.Digests;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A reader that stops reading must not make the proxy buffer what the writer sends. Downloads: the upstream
 * writes a large body as fast as its socket takes it; while the client pauses, the upstream has to stall
 * (its writes block, or its flow-control window closes) after at most the socket buffers' and windows'
 * worth, and the proxy's buffer memory has to stay flat. When the client reads again, the body completes
 * byte-identical. Over HTTP/1.1 (TCP backpressure), h2c downstream to an HTTP/1.1 upstream (the stream's
 * flow-control window turned into TCP backpressure) and h2c on both sides (flow control end to end).
 * Uploads, the other way: an upstream that reads nothing of a request body must stall the client.
 *
 * <p>Memory is the default Netty allocator's (the proxy's, and the test's own Netty clients', in this JVM):
 * buffering the body would show as hundreds of MiB there.
 */
@Timeout(120)
class SlowReaderBackpressureTest {
    static final long MIB = 1024 * 1024;
    /** How much buffer memory the proxy may gain while a client pauses: a few windows and read buffers. */
    static final long MEMORY_BOUND = 16 * MIB;
    /** Upstream bytes that may be in flight: proxy buffers plus kernel socket buffers on both hops. */
    static final long IN_FLIGHT_BOUND = 64 * MIB;

    private RawUpstream upstream;
    private ProxyServer proxy;

    @AfterEach
    void stop() throws Exception {
        if (proxy != null) {
            proxy.close();
        }
        if (upstream != null) {
            upstream.close();
        }
    }

    private void startProxy(long seed, long size) throws Exception {
        upstream = new RawUpstream(RawUpstream.fastBody(seed, size));
        proxy = Proxies.start(Proxies.sidecar("bulk"), Proxies.service("bulk", "http", upstream.address()));
    }

    static long allocatorUsed() {
        ByteBufAllocatorMetric m = ((ByteBufAllocatorMetricProvider) ByteBufAllocator.DEFAULT).metric();
        return m.usedHeapMemory() + m.usedDirectMemory();
    }

    @Test
    void http1SlowReaderStallsTheUpstreamInsteadOfBuffering() throws Exception {
        long size = 256 * MIB;
        long seed = 4242;
        startProxy(seed, size);
        LeakLevels.sampled(() -> {
            long memoryBefore = allocatorUsed();
            try (RawHttp c = new RawHttp(proxy.upstreamAddress(Proxies.key("bulk")), 64 * 1024)) {
                c.send("GET /bulk HTTP/1.1\r\nhost: bulk\r\n\r\n");
                RawHttp.Head head = c.readHead();
                assertThat(head.status()).isEqualTo(200);
                assertThat(head.contentLength()).isEqualTo(size);
                InputStream body = c.body(head, "GET");
                MessageDigest md = Digests.sha256();
                long read = readUpTo(body, md, MIB);

                // the client pauses: the upstream must come to a stop well before the end of the body
                long stalledAt = Eventually.within(Duration.ofSeconds(60))
                        .untilStalled("upstream writes", upstream::bodyBytesWritten, Duration.ofMillis(750));
                long memoryPaused = allocatorUsed();
                report("http/1.1", size, read, stalledAt, memoryBefore, memoryPaused);
                assertThat(stalledAt - read).as("bytes between upstream and paused client").isLessThan(IN_FLIGHT_BOUND);
                assertThat(memoryPaused - memoryBefore).as("allocator growth while the client pauses")
                        .isLessThan(MEMORY_BOUND);

                read += readUpTo(body, md, Long.MAX_VALUE);
                assertThat(read).isEqualTo(size);
                assertThat(HexFormat.of().formatHex(md.digest())).isEqualTo(Digests.sha256OfRandom(seed, size));
            }
            return null;
        });
    }

    @Test
    void h2SlowReaderStallsAnHttp1UpstreamThroughFlowControl() throws Exception {
        long size = 128 * MIB;
        long seed = 4343;
        startProxy(seed, size);
        h2SlowReader("h2 -> http/1.1", proxy.upstreamAddress(Proxies.key("bulk")), "/bulk",
                upstream::bodyBytesWritten, seed, size);
    }

    @Test
    void h2SlowReaderStallsAnH2UpstreamEndToEnd() throws Exception {
        long size = 128 * MIB;
        long seed = 4444;
        try (CountingH2Upstream h2 = new CountingH2Upstream(seed, size)) {
            proxy = Proxies.start(Proxies.sidecar("bulk2"), Proxies.service("bulk2", "http2", h2.address()));
            h2SlowReader("h2 -> h2", proxy.upstreamAddress(Proxies.key("bulk2")), "/bulk", h2::bytesSent, seed, size);
        }
    }

    private static void h2SlowReader(String what, InetSocketAddress listener, String path, LongSupplier upstreamSent,
                                     long seed, long size) throws Exception {
        LeakLevels.sampled(() -> {
            long memoryBefore = allocatorUsed();
            try (StreamingH2Client client = new StreamingH2Client(listener, 256 * 1024, 1024 * 1024)) {
                StreamingH2Client.Call call = client.start(HttpMethod.GET, path, Map.of(), null, MIB);
                assertThat(call.head.get(20, TimeUnit.SECONDS).status().code()).isEqualTo(200);
                Eventually.within(Duration.ofSeconds(20)).until("the first MiB", () -> call.received() >= MIB);

                long stalledAt = Eventually.within(Duration.ofSeconds(60))
                        .untilStalled("upstream writes", upstreamSent, Duration.ofMillis(750));
                long memoryPaused = allocatorUsed();
                long read = call.received();
                report(what, size, read, stalledAt, memoryBefore, memoryPaused);
                assertThat(stalledAt - read).as("bytes between upstream and paused client").isLessThan(IN_FLIGHT_BOUND);
                assertThat(memoryPaused - memoryBefore).as("allocator growth while the client pauses")
                        .isLessThan(MEMORY_BOUND);

                call.resume();
                StreamingH2Client.Result res = call.await(Duration.ofSeconds(90));
                assertThat(res.bodyBytes()).isEqualTo(size);
                assertThat(res.sha256()).isEqualTo(Digests.sha256OfRandom(seed, size));
            }
            return null;
        });
    }

    @Test
    void http1SlowUpstreamReaderStallsTheClientUpload() throws Exception {
        long size = 128 * MIB;
        long seed = 4545;
        CountDownLatch gate = new CountDownLatch(1);
        upstream = new RawUpstream(RawUpstream.slowSink(gate));
        proxy = Proxies.start(Proxies.sidecar("sink"), Proxies.service("sink", "http", upstream.address()));
        try {
            LeakLevels.sampled(() -> {
                long memoryBefore = allocatorUsed();
                try (RawHttp c = new RawHttp(proxy.upstreamAddress(Proxies.key("sink")))) {
                    c.socket().setSendBufferSize(64 * 1024);
                    AtomicLong written = new AtomicLong();
                    CompletableFuture<Void> sent = upload(c, "POST /upload HTTP/1.1\r\nhost: sink\r\ncontent-length: "
                            + size + "\r\n\r\n", seed, size, written);

                    long stalledAt = Eventually.within(Duration.ofSeconds(60))
                            .untilStalled("client writes", written::get, Duration.ofMillis(750));
                    long memoryPaused = allocatorUsed();
                    report("upload http/1.1", size, upstream.bodyBytesRead(), stalledAt, memoryBefore, memoryPaused);
                    assertThat(upstream.bodyBytesRead()).isZero();
                    assertThat(stalledAt).as("bytes the client got rid of while the upstream reads nothing")
                            .isLessThan(IN_FLIGHT_BOUND);
                    assertThat(memoryPaused - memoryBefore).as("allocator growth while the upstream pauses")
                            .isLessThan(MEMORY_BOUND);

                    gate.countDown();
                    sent.get(60, TimeUnit.SECONDS);
                    RawHttp.Response res = c.readResponse("POST");
                    assertThat(res.status()).isEqualTo(200);
                    assertThat(res.bodyText()).isEqualTo(size + " " + Digests.sha256OfRandom(seed, size));
                }
                return null;
            });
        } finally {
            gate.countDown();
        }
    }

    @Test
    void h2SlowUpstreamReaderStallsTheClientUploadThroughFlowControl() throws Exception {
        long size = 128 * MIB;
        long seed = 4646;
        CountDownLatch gate = new CountDownLatch(1);
        upstream = new RawUpstream(RawUpstream.slowSink(gate));
        proxy = Proxies.start(Proxies.sidecar("sink"), Proxies.service("sink", "http", upstream.address()));
        try {
            LeakLevels.sampled(() -> {
                long memoryBefore = allocatorUsed();
                try (StreamingH2Client client = new StreamingH2Client(proxy.upstreamAddress(Proxies.key("sink")))) {
                    StreamingH2Client.Call call = client.start(HttpMethod.POST, "/upload", Map.of(),
                            new StreamingH2Client.Body(seed, size, true));

                    long stalledAt = Eventually.within(Duration.ofSeconds(60))
                            .untilStalled("client writes", call::sent, Duration.ofMillis(750));
                    long memoryPaused = allocatorUsed();
                    report("upload h2", size, upstream.bodyBytesRead(), stalledAt, memoryBefore, memoryPaused);
                    assertThat(upstream.bodyBytesRead()).isZero();
                    assertThat(stalledAt).as("bytes the client got rid of while the upstream reads nothing")
                            .isLessThan(IN_FLIGHT_BOUND);
                    assertThat(memoryPaused - memoryBefore).as("allocator growth while the upstream pauses")
                            .isLessThan(MEMORY_BOUND);

                    gate.countDown();
                    StreamingH2Client.Result res = call.await(Duration.ofSeconds(90));
                    assertThat(res.status()).isEqualTo(200);
                    String expected = size + " " + Digests.sha256OfRandom(seed, size);
                    assertThat(res.sha256()).as("upstream's report: %s", expected)
                            .isEqualTo(Digests.sha256Hex(expected.getBytes(StandardCharsets.US_ASCII)));
                }
                return null;
            });
        } finally {
            gate.countDown();
        }
    }

    /** Writes {@code head} then {@code size} bytes of seed {@code seed} from a new thread, counting them. */
    private static CompletableFuture<Void> upload(RawHttp c, String head, long seed, long size, AtomicLong written) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                OutputStream out = c.socket().getOutputStream();
                out.write(head.getBytes(StandardCharsets.ISO_8859_1));
                InputStream body = Digests.randomStream(seed, size);
                byte[] buf = new byte[64 * 1024];
                int n;
                while ((n = body.read(buf)) > 0) {
                    out.write(buf, 0, n);
                    written.addAndGet(n);
                }
                out.flush();
                done.complete(null);
            } catch (Throwable e) {
                done.completeExceptionally(e);
            }
        }, "upload-writer");
        t.setDaemon(true);
        t.start();
        return done;
    }

    private static long readUpTo(InputStream in, MessageDigest md, long max) throws Exception {
        byte[] buf = new byte[64 * 1024];
        long total = 0;
        while (total < max) {
            int n = in.read(buf, 0, (int) Math.min(buf.length, max - total));
            if (n < 0) {
                break;
            }
            md.update(buf, 0, n);
            total += n;
        }
        return total;
    }

    private static void report(String what, long size, long read, long stalledAt, long before, long paused) {
        System.out.printf("slow reader %s: body %d MiB, reader read %d KiB, writer stalled at %d KiB, "
                        + "allocator %d KiB -> %d KiB%n", what, size / MIB, read / 1024, stalledAt / 1024,
                before / 1024, paused / 1024);
    }
}
