package io.remora.injector;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.timeout.IdleStateHandler;
import io.remora.log.Log;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * {@code remora injector}: the mutating admission webhook. Two listeners:
 * <ul>
 *   <li>webhook (15017, TLS): {@code POST /inject}, AdmissionReview v1 in and out ({@link WebhookHandler}, Netty);</li>
 *   <li>admin (15014, plain HTTP, the JDK's server as the control plane's): {@code /stats/prometheus},
 *       {@code /healthz/ready} (the webhook is bound and, with a client, the caBundle written),
 *       {@code /healthz/live}.</li>
 * </ul>
 * Reviews run on two threads with a bounded queue, off the event loop. The serving certificate is reissued at two
 * thirds of its life, and the caBundle written again then.
 */
public final class InjectorServer implements AutoCloseable {
    /** Threads that review; injection is a few milliseconds of CPU. */
    static final int REVIEW_THREADS = 2;
    /** Reviews waiting beyond this many are refused as overloaded. */
    static final int MAX_QUEUED_REVIEWS = 256;
    static final int IDLE_SECONDS = 120;

    /**
     * @param webhook         where the TLS webhook listens (port 0: a free port)
     * @param admin           where metrics and health listen
     * @param injector        the pod mutation
     * @param tls             the serving certificate
     * @param maxRequestBytes larger review bodies are answered from their first bytes (allowed, not injected)
     * @param client          with {@code webhookConfig}: the API to write the caBundle to; null for none
     * @param webhookConfig   the MutatingWebhookConfiguration to write the caBundle into; null for none
     */
    public record Options(InetSocketAddress webhook, InetSocketAddress admin, Injector injector, ServingTls tls,
                          int maxRequestBytes, KubernetesClient client, String webhookConfig) {
        public Options {
            Objects.requireNonNull(webhook, "webhook");
            Objects.requireNonNull(admin, "admin");
            Objects.requireNonNull(injector, "injector");
            Objects.requireNonNull(tls, "tls");
            if (maxRequestBytes < 1024) {
                throw new IllegalArgumentException("maxRequestBytes: " + maxRequestBytes + " (expected: >= 1024)");
            }
        }
    }

    private final EventLoopGroup group;
    private final Channel channel;
    private final HttpServer adminServer;
    private final ThreadPoolExecutor reviews;
    private final ScheduledExecutorService rotation;
    private final java.util.concurrent.ExecutorService adminExecutor =
            Executors.newSingleThreadExecutor(daemon("remora-injector-admin"));
    private final InjectorMetrics metrics;
    private final AtomicBoolean ready = new AtomicBoolean();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final Options options;

    private InjectorServer(Options options, EventLoopGroup group, Channel channel, HttpServer adminServer,
                           ThreadPoolExecutor reviews, ScheduledExecutorService rotation, InjectorMetrics metrics) {
        this.options = options;
        this.group = group;
        this.channel = channel;
        this.adminServer = adminServer;
        this.reviews = reviews;
        this.rotation = rotation;
        this.metrics = metrics;
    }

    /** Binds both listeners, writes the caBundle (when asked), and returns once it serves. */
    public static InjectorServer start(Options o) throws IOException, InterruptedException {
        InjectorMetrics metrics = new InjectorMetrics(() -> o.tls().certificate().notAfter().getEpochSecond() * 1.0);
        ThreadPoolExecutor reviews = new ThreadPoolExecutor(REVIEW_THREADS, REVIEW_THREADS, 0, TimeUnit.MILLISECONDS,
                new ArrayBlockingQueue<>(MAX_QUEUED_REVIEWS), daemon("remora-injector-review"));
        ScheduledExecutorService rotation = Executors.newSingleThreadScheduledExecutor(
                daemon("remora-injector-rotation"));
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        HttpServer admin = null;
        try {
            Channel ch = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                    .option(ChannelOption.SO_REUSEADDR, true)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childHandler(new ChannelInitializer<>() {
                        @Override
                        protected void initChannel(Channel c) {
                            c.pipeline().addLast(
                                    o.tls().context().newHandler(c.alloc()),
                                    new IdleStateHandler(0, 0, IDLE_SECONDS, TimeUnit.SECONDS),
                                    new HttpServerCodec(),
                                    new WebhookHandler(o.injector(), reviews, metrics, o.maxRequestBytes()));
                        }
                    })
                    .bind(o.webhook()).sync().channel();
            InjectorServer server;
            admin = HttpServer.create(o.admin(), 16);
            server = new InjectorServer(o, group, ch, admin, reviews, rotation, metrics);
            server.serveAdmin(admin);
            admin.start();
            server.writeCaBundle();
            server.ready.set(true);
            server.scheduleRotation();
            Log.info("injector_started", "webhook", String.valueOf(ch.localAddress()),
                    "admin", String.valueOf(admin.getAddress()), "image", o.injector().mesh().image());
            return server;
        } catch (IOException | InterruptedException | RuntimeException e) {
            if (admin != null) {
                admin.stop(0);
            }
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            reviews.shutdownNow();
            rotation.shutdownNow();
            throw e;
        }
    }

    private void writeCaBundle() {
        if (options.client() != null && options.webhookConfig() != null) {
            WebhookConfigurations.patchCaBundle(options.client(), options.webhookConfig(), options.tls().caBundle());
        }
    }

    private void scheduleRotation() {
        long delay = Math.max(1, options.tls().untilRotation().toMillis());
        rotation.schedule(() -> {
            try {
                rotate();
            } catch (RuntimeException e) {
                Log.error("injector_rotation_failed", e);
            }
            if (!closed.get()) {
                scheduleRotation();
            }
        }, delay, TimeUnit.MILLISECONDS);
    }

    /** Reissues the serving certificate now (and writes the caBundle again): what the schedule does. */
    public void rotate() {
        options.tls().rotate();
        writeCaBundle();
    }

    private void serveAdmin(HttpServer admin) {
        admin.setExecutor(adminExecutor);
        admin.createContext("/stats/prometheus", ex -> reply(ex, 200, "text/plain; version=0.0.4; charset=utf-8",
                metrics.scrape()));
        admin.createContext("/healthz/live", ex -> reply(ex, 200, "text/plain", "live\n"));
        admin.createContext("/healthz/ready", ex -> {
            boolean ok = ready.get();
            reply(ex, ok ? 200 : 503, "text/plain", ok ? "ready\n" : "not ready\n");
        });
    }

    private static void reply(HttpExchange ex, int status, String type, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", type);
        ex.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }

    public InetSocketAddress webhookAddress() {
        return (InetSocketAddress) channel.localAddress();
    }

    public InetSocketAddress adminAddress() {
        return adminServer.getAddress();
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        ready.set(false);
        rotation.shutdownNow();
        channel.close().awaitUninterruptibly();
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly();
        reviews.shutdown();
        adminServer.stop(0);
        adminExecutor.shutdown();
        Log.info("injector_stopped");
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }
}
