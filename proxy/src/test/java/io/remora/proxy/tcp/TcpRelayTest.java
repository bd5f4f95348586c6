package io.remora.proxy.tcp;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.remora.config.testing.Eventually;
import io.remora.proxy.Transport;
import io.remora.proxy.testing.Digests;
import io.remora.proxy.testing.TcpEchoServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/** The relay over real loopback sockets: client -> relay listener -> upstream server. */
@Timeout(120)
class TcpRelayTest {
    private static final Transport TRANSPORT = Transport.best();
    private static EventLoopGroup group;

    @BeforeAll
    static void startGroup() {
        group = TRANSPORT.newGroup(2, "relay-test");
    }

    @AfterAll
    static void stopGroup() {
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }

    /** Records the listener callbacks of one relayed connection. */
    static final class Recorder implements TcpRelay.Listener {
        final CompletableFuture<InetSocketAddress> connected = new CompletableFuture<>();
        final CompletableFuture<Throwable> connectFailed = new CompletableFuture<>();
        final CompletableFuture<long[]> closed = new CompletableFuture<>();
        final AtomicLong calls = new AtomicLong();

        @Override
        public void connected(InetSocketAddress upstream) {
            calls.incrementAndGet();
            connected.complete(upstream);
        }

        @Override
        public void connectFailed(Throwable cause) {
            calls.incrementAndGet();
            connectFailed.complete(cause);
        }

        @Override
        public void closed(long bytesFromDownstream, long bytesFromUpstream) {
            calls.incrementAndGet();
            closed.complete(new long[] {bytesFromDownstream, bytesFromUpstream});
        }

        long[] awaitClosed() throws Exception {
            return closed.get(30, TimeUnit.SECONDS);
        }
    }

    /**
     * A listener that relays every accepted connection to {@code upstream}. With {@code detectBytes > 0} it
     * first waits for that many bytes, as protocol detection does, so the relay receives bytes read before it
     * was installed. Records the largest downstream outbound backlog seen after any write.
     */
    static final class RelayListener implements AutoCloseable {
        final Channel server;
        final BlockingQueue<Recorder> recorders = new LinkedBlockingQueue<>();
        final AtomicLong maxDownstreamPending = new AtomicLong();
        final AtomicLong highWaterCrossings = new AtomicLong();
        private final Duration connectTimeout;

        RelayListener(InetSocketAddress upstream, int detectBytes) {
            this(upstream, detectBytes, 0);
        }

        RelayListener(InetSocketAddress upstream, int detectBytes, int sendBuffer) {
            this(upstream, detectBytes, sendBuffer, Duration.ofSeconds(5));
        }

        /** {@code sendBuffer > 0} sets the downstream sockets' SO_SNDBUF, so the kernel holds little. */
        RelayListener(InetSocketAddress upstream, int detectBytes, int sendBuffer, Duration connectTimeout) {
            this.connectTimeout = connectTimeout;
            ServerBootstrap b = new ServerBootstrap();
            if (sendBuffer > 0) {
                b.childOption(io.netty.channel.ChannelOption.SO_SNDBUF, sendBuffer);
            }
            server = b
                    .group(group)
                    .channel(TRANSPORT.serverChannel())
                    .childHandler(new ChannelInitializer<>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            ch.pipeline().addLast(new BacklogProbe(maxDownstreamPending, highWaterCrossings));
                            if (detectBytes > 0) {
                                ch.pipeline().addLast(new FakeDetector(detectBytes, upstream));
                            } else {
                                ch.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                                    @Override
                                    public void channelActive(ChannelHandlerContext ctx) {
                                        ctx.pipeline().remove(this);
                                        startRelay(ctx.channel(), upstream);
                                        ctx.fireChannelActive();
                                    }
                                });
                            }
                        }
                    })
                    .bind(new InetSocketAddress("127.0.0.1", 0)).syncUninterruptibly().channel();
        }

        void startRelay(Channel ch, InetSocketAddress upstream) {
            Recorder r = new Recorder();
            recorders.add(r);
            TcpRelay.start(ch, upstream, connectTimeout, TRANSPORT.socketChannel(), r);
        }

        Recorder nextRecorder() throws InterruptedException {
            Recorder r = recorders.poll(30, TimeUnit.SECONDS);
            assertThat(r).as("a relayed connection").isNotNull();
            return r;
        }

        int port() {
            return ((InetSocketAddress) server.localAddress()).getPort();
        }

        Socket connect() throws IOException {
            return connect(0);
        }

        /** {@code receiveBuffer > 0} sets the client's SO_RCVBUF (before connecting, so the window is small). */
        Socket connect(int receiveBuffer) throws IOException {
            Socket s = new Socket();
            if (receiveBuffer > 0) {
                s.setReceiveBufferSize(receiveBuffer);
            }
            s.connect(new InetSocketAddress("127.0.0.1", port()), 10_000);
            s.setSoTimeout(30_000);
            return s;
        }

        @Override
        public void close() {
            server.close().syncUninterruptibly();
        }

        /** Waits for {@code n} bytes, then hands the connection to the relay and removes itself. */
        private final class FakeDetector extends ByteToMessageDecoder {
            private final int n;
            private final InetSocketAddress upstream;

            FakeDetector(int n, InetSocketAddress upstream) {
                this.n = n;
                this.upstream = upstream;
            }

            @Override
            protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
                if (in.readableBytes() >= n) {
                    startRelay(ctx.channel(), upstream);
                    ctx.pipeline().remove(this); // forwards the bytes read so far to the relay
                }
            }
        }
    }

    /** First handler of the downstream pipeline: sees every write the relay makes towards the client. */
    static final class BacklogProbe extends ChannelOutboundHandlerAdapter {
        private final AtomicLong max;
        private final AtomicLong crossings;
        private long last;

        BacklogProbe(AtomicLong max, AtomicLong crossings) {
            this.max = max;
            this.crossings = crossings;
        }

        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
            ctx.write(msg, promise);
            ChannelOutboundBuffer out = ctx.channel().unsafe().outboundBuffer();
            if (out != null) {
                long pending = out.totalPendingWriteBytes();
                max.accumulateAndGet(pending, Math::max);
                int high = TcpRelay.WATER_MARK.high();
                if (last < high && pending >= high) {
                    crossings.incrementAndGet();
                }
                last = pending;
            }
        }
    }

    private static void echoThroughRelay(int size, int detectBytes) throws Exception {
        try (TcpEchoServer echo = new TcpEchoServer();
             RelayListener relay = new RelayListener(echo.address(), detectBytes);
             Socket s = relay.connect()) {
            long seed = 1000 + size;
            CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
                try {
                    OutputStream out = s.getOutputStream();
                    Digests.randomStream(seed, size).transferTo(out);
                    out.flush();
                    s.shutdownOutput();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            String got = Digests.sha256Hex(s.getInputStream()); // until the FIN relayed from the echo server
            writer.get(30, TimeUnit.SECONDS);
            assertThat(got).isEqualTo(Digests.sha256OfRandom(seed, size));

            Recorder r = relay.nextRecorder();
            assertThat(r.connected.get(5, TimeUnit.SECONDS)).isEqualTo(echo.address());
            assertThat(r.awaitClosed()).containsExactly(size, size);
            assertThat(r.connectFailed).isNotDone();
            assertThat(r.calls.get()).isEqualTo(2);
        }
    }

    @Test
    void relaysZeroBytes() throws Exception {
        echoThroughRelay(0, 0);
    }

    @Test
    void relaysOneKibibyteIncludingBytesReadBeforeTheRelayWasInstalled() throws Exception {
        echoThroughRelay(1024, 5);
        echoThroughRelay(1024, 1024); // all of it read by the detector, queued until the upstream connects
    }

    @Test
    void relays64MebibytesByteIdentical() throws Exception {
        echoThroughRelay(64 * 1024 * 1024, 3);
    }

    @Test
    void clientHalfCloseStillReceivesTheWholeReply() throws Exception {
        int half = 2 * 1024 * 1024;
        CountDownLatch sendSecondHalf = new CountDownLatch(1);
        try (ServerSocket upstream = new ServerSocket(0, 50, java.net.InetAddress.getByName("127.0.0.1"));
             RelayListener relay = new RelayListener((InetSocketAddress) upstream.getLocalSocketAddress(), 0,
                     64 * 1024)) {
            // The upstream reads the whole request (to EOF), then answers in two halves and closes.
            CompletableFuture<Integer> served = CompletableFuture.supplyAsync(() -> {
                try (Socket s = upstream.accept()) {
                    int request = s.getInputStream().readAllBytes().length;
                    InputStream reply = Digests.randomStream(77, 2L * half);
                    s.getOutputStream().write(reply.readNBytes(half));
                    if (!sendSecondHalf.await(30, TimeUnit.SECONDS)) {
                        throw new IllegalStateException("no signal for the second half");
                    }
                    reply.transferTo(s.getOutputStream());
                    s.shutdownOutput();
                    return request;
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            try (Socket s = relay.connect(64 * 1024)) {
                s.getOutputStream().write(new byte[1000]);
                s.shutdownOutput();
                // Twice, let the reply back up in the proxy with small socket buffers, so that writes to the
                // half-closed downstream have to wait for the socket to drain (EPOLLOUT), with a complete drain
                // in between: the case in which Netty 4.2.18's epoll transport loses data unless
                // EpollHalfClosure is applied.
                awaitCondition(() -> relay.highWaterCrossings.get() >= 1, "the reply to back up in the proxy");
                byte[] first = s.getInputStream().readNBytes(half);
                assertThat(first.length).as("first half of the reply").isEqualTo(half);
                sendSecondHalf.countDown();
                awaitCondition(() -> relay.highWaterCrossings.get() >= 2, "the reply to back up again");
                byte[] second = s.getInputStream().readAllBytes();
                assertThat(first.length + second.length).isEqualTo(2 * half);
                java.security.MessageDigest md = Digests.sha256();
                md.update(first);
                md.update(second);
                assertThat(java.util.HexFormat.of().formatHex(md.digest()))
                        .isEqualTo(Digests.sha256OfRandom(77, 2L * half));
            }
            assertThat(served.get(30, TimeUnit.SECONDS)).isEqualTo(1000);
            assertThat(relay.nextRecorder().awaitClosed()).containsExactly(1000, 2L * half);
        }
    }

    @Test
    void upstreamHalfCloseStillReceivesTheClientsData() throws Exception {
        int uploadSize = 8 * 1024 * 1024;
        CountDownLatch startReading = new CountDownLatch(1);
        try (ServerSocket upstream = new ServerSocket()) {
            upstream.setReceiveBufferSize(64 * 1024); // a small window, so the upload backs up in the proxy
            upstream.bind(new InetSocketAddress("127.0.0.1", 0));
            try (RelayListener relay = new RelayListener((InetSocketAddress) upstream.getLocalSocketAddress(), 0)) {
                // The upstream greets, shuts down its output, then (when told) reads until the client is done.
                CompletableFuture<String> received = CompletableFuture.supplyAsync(() -> {
                    try (Socket s = upstream.accept()) {
                        s.getOutputStream().write("hello".getBytes());
                        s.shutdownOutput();
                        if (!startReading.await(60, TimeUnit.SECONDS)) {
                            throw new IllegalStateException("never told to read");
                        }
                        return Digests.sha256Hex(s.getInputStream());
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    } catch (InterruptedException e) {
                        throw new IllegalStateException(e);
                    }
                });
                try (Socket s = relay.connect()) {
                    InputStream in = s.getInputStream();
                    assertThat(in.readAllBytes()).isEqualTo("hello".getBytes()); // greeting, then EOF
                    AtomicLong written = new AtomicLong();
                    CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
                        try (InputStream data = Digests.randomStream(78, uploadSize)) {
                            byte[] chunk = new byte[64 * 1024];
                            int n;
                            while ((n = data.read(chunk)) > 0) {
                                s.getOutputStream().write(chunk, 0, n);
                                written.addAndGet(n);
                            }
                            s.shutdownOutput();
                        } catch (IOException e) {
                            throw new UncheckedIOException(e);
                        }
                    });
                    // While the upstream does not read, the upload fills every buffer on the way and the proxy
                    // has to wait for the half-closed upstream socket to drain (EPOLLOUT) before writing more.
                    awaitStall(written);
                    startReading.countDown();
                    writer.get(60, TimeUnit.SECONDS);
                    assertThat(received.get(60, TimeUnit.SECONDS)).isEqualTo(Digests.sha256OfRandom(78, uploadSize));
                }
                assertThat(relay.nextRecorder().awaitClosed()).containsExactly(uploadSize, 5);
            }
        }
    }

    /** Waits until {@code progress} has stopped moving for a few polls. */
    private static void awaitStall(AtomicLong progress) {
        Eventually.within(Duration.ofSeconds(30)).every(Duration.ofMillis(100))
                .untilStalled("the upload to back up", progress::get, Duration.ofMillis(300));
    }

    @Test
    void connectRefusedClosesTheDownstreamAndReportsIt() throws Exception {
        InetSocketAddress closedPort;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            closedPort = (InetSocketAddress) s.getLocalSocketAddress();
        }
        try (RelayListener relay = new RelayListener(closedPort, 4);
             Socket s = relay.connect()) {
            s.getOutputStream().write("early bytes that get queued".getBytes()); // released on failure
            Recorder r = relay.nextRecorder();
            assertThat(r.connectFailed.get(30, TimeUnit.SECONDS)).isInstanceOf(ConnectException.class);
            int read;
            try {
                read = s.getInputStream().read();
            } catch (SocketException reset) {
                read = -1; // a reset also means closed
            }
            assertThat(read).isEqualTo(-1);
            assertThat(r.connected).isNotDone();
            assertThat(r.closed).isNotDone();
            assertThat(r.calls.get()).isEqualTo(1);
        }
    }

    /**
     * A listening socket that never accepts, with its accept queue filled: further SYNs are dropped, so a
     * connect to it neither succeeds nor is refused (Linux). Closing it closes the fillers too.
     */
    static final class BlackHole implements AutoCloseable {
        final ServerSocket server;
        final List<Socket> fillers = new java.util.ArrayList<>();

        BlackHole() throws IOException {
            server = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"));
            for (int i = 0; i < 16; i++) {
                Socket s = new Socket();
                fillers.add(s);
                try {
                    s.connect(server.getLocalSocketAddress(), 300);
                } catch (java.net.SocketTimeoutException full) {
                    return;
                }
            }
            throw new IllegalStateException("the accept queue never filled up");
        }

        InetSocketAddress address() {
            return (InetSocketAddress) server.getLocalSocketAddress();
        }

        @Override
        public void close() throws IOException {
            for (Socket s : fillers) {
                s.close();
            }
            server.close();
        }
    }

    @Test
    void connectTimeoutIsReportedAsAFailure() throws Exception {
        try (BlackHole upstream = new BlackHole();
             RelayListener relay = new RelayListener(upstream.address(), 0, 0, Duration.ofMillis(300));
             Socket s = relay.connect()) {
            Recorder r = relay.nextRecorder();
            assertThat(r.connectFailed.get(30, TimeUnit.SECONDS))
                    .isInstanceOf(io.netty.channel.ConnectTimeoutException.class);
            assertThat(s.getInputStream().read()).isEqualTo(-1);
            assertThat(r.connected).isNotDone();
            assertThat(r.closed).isNotDone();
        }
    }

    @Test
    void downstreamClosingWhileConnectingAbandonsTheConnect() throws Exception {
        try (BlackHole upstream = new BlackHole();
             RelayListener relay = new RelayListener(upstream.address(), 4, 0, Duration.ofSeconds(30))) {
            Recorder r;
            try (Socket s = relay.connect()) {
                s.getOutputStream().write("queued while connecting".getBytes()); // released when abandoned
                r = relay.nextRecorder();
                // A FIN would only half-close (the relay still connects and delivers); a reset aborts.
                s.setSoLinger(true, 0);
            }
            long[] counts = r.awaitClosed();
            assertThat(counts[0]).isBetween(4L, (long) "queued while connecting".length()); // read before the reset
            assertThat(counts[1]).isZero();
            assertThat(r.connectFailed).isNotDone();
            assertThat(r.connected).isNotDone();
        }
    }

    /**
     * The upstream pushes 256 MiB while the client does not read. Backpressure must stop the relay reading
     * from the upstream, so the proxy's backlog towards the client stays around one water mark and the
     * upstream stalls long before it has sent everything. Then the client reads it all, byte-identical.
     */
    @Test
    void slowReaderKeepsTheProxyBacklogBounded() throws Exception {
        long total = 256L * 1024 * 1024;
        try (Firehose upstream = new Firehose(total, 99);
             RelayListener relay = new RelayListener(upstream.address(), 0);
             Socket s = relay.connect()) {
            long stalledAt = upstream.awaitStallOrAtLeast(64L * 1024 * 1024);
            assertThat(stalledAt).as("upstream bytes sent before stalling").isLessThan(64L * 1024 * 1024);
            assertThat(relay.maxDownstreamPending.get()).as("proxy backlog to a client that is not reading")
                    .isLessThan(512 * 1024);

            assertThat(Digests.sha256Hex(s.getInputStream())).isEqualTo(Digests.sha256OfRandom(99, total));
            // While the client drains at full speed the backlog swings wider (one read burst per
            // writability flip, seen up to ~3.4 MiB on a loaded machine and 14.3 MiB on one running two
            // builds beside the test); bounded is what matters here: without backpressure it reaches the
            // whole 256 MiB.
            assertThat(relay.maxDownstreamPending.get()).as("proxy backlog over the whole transfer")
                    .isLessThan(32 * 1024 * 1024);
            s.shutdownOutput(); // the upstream's FIN was relayed; the pair closes once the client's is too
            assertThat(relay.nextRecorder().awaitClosed()).containsExactly(0, total);
        }
    }

    private static void awaitCondition(Eventually.Condition condition, String what) {
        Eventually.within(Duration.ofSeconds(30)).every(Duration.ofMillis(10)).until(what, condition);
    }

    /** Sends {@code total} deterministic bytes to whoever connects, as fast as the connection takes them. */
    static final class Firehose implements AutoCloseable {
        private final Channel server;
        private final AtomicLong sent = new AtomicLong();
        private volatile Channel child;

        Firehose(long total, long seed) {
            server = new ServerBootstrap()
                    .group(group)
                    .channel(TRANSPORT.serverChannel())
                    .childHandler(new ChannelInboundHandlerAdapter() {
                        private final Digests.RandomStream rnd = new Digests.RandomStream(seed);
                        private long left = total;

                        @Override
                        public void channelActive(ChannelHandlerContext ctx) {
                            child = ctx.channel();
                            pump(ctx);
                        }

                        @Override
                        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
                            pump(ctx);
                        }

                        private void pump(ChannelHandlerContext ctx) {
                            while (left > 0 && ctx.channel().isWritable()) {
                                int len = (int) Math.min(64 * 1024, left);
                                ByteBuf b = ctx.alloc().buffer(len);
                                rnd.nextBytes(b, len);
                                left -= len;
                                ctx.write(b).addListener(f -> {
                                    if (f.isSuccess()) {
                                        sent.addAndGet(len);
                                    }
                                });
                            }
                            if (left == 0) {
                                left = -1;
                                ctx.writeAndFlush(io.netty.buffer.Unpooled.EMPTY_BUFFER)
                                        .addListener(ChannelFutureListener.CLOSE);
                            } else {
                                ctx.flush();
                            }
                        }
                    })
                    .bind(new InetSocketAddress("127.0.0.1", 0)).syncUninterruptibly().channel();
        }

        InetSocketAddress address() {
            return (InetSocketAddress) server.localAddress();
        }

        /**
         * Waits until the sender is stalled (no progress over successive polls) or has sent at least {@code limit}
         * bytes (clamped there, a sender that goes on settles too); returns the bytes sent by then.
         */
        long awaitStallOrAtLeast(long limit) {
            return Eventually.within(Duration.ofSeconds(60)).every(Duration.ofMillis(100)).untilStalled(
                    "the upstream to stall or send " + limit + " bytes", () -> Math.min(sent.get(), limit),
                    Duration.ofMillis(300));
        }

        @Override
        public void close() {
            server.close().syncUninterruptibly();
            Channel c = child;
            if (c != null) {
                c.close().syncUninterruptibly();
            }
        }
    }
}
