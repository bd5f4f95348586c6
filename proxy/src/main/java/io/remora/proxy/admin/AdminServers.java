package io.remora.proxy.admin;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.remora.config.HostPort;
import io.remora.net.ListenFailure;
import io.remora.proxy.Transport;
import io.remora.proxy.admin.AdminHttp.Request;
import io.remora.proxy.admin.AdminHttp.Response;
import io.remora.proxy.admin.AdminHttp.Router;
import io.remora.proxy.net.OwnPorts;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The three operator-facing HTTP/1.1 listeners:
 * <ul>
 *   <li>admin (15000, loopback by default): {@code GET /} (index), {@code GET /config_dump},
 *       {@code GET /certs}, {@code GET /clusters}, {@code GET /ready}, {@code POST /drain}, {@code POST /quitquitquit};</li>
 *   <li>metrics (15020): {@code GET /stats/prometheus}, Prometheus text 0.0.4 or OpenMetrics by
 *       {@code Accept};</li>
 *   <li>health (15021): {@code GET /healthz/ready}, {@code GET /healthz/live}.</li>
 * </ul>
 * Slow work (config dump, cluster listing, scrapes, drain and quit actions) runs on one dedicated daemon
 * thread with a bounded queue, so it never holds an event loop that also carries proxy traffic; a full queue
 * answers 503. Each bound port is registered with the proxy's {@link OwnPorts} for loop detection.
 */
public final class AdminServers implements AutoCloseable {

    static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";
    static final String OPENMETRICS_TEXT = "application/openmetrics-text; version=1.0.0; charset=utf-8";

    /** Largest request body accepted (admin requests carry none); larger ones get 413. */
    static final int MAX_REQUEST_BYTES = 8 * 1024;
    /** Idle keep-alive connections are closed after this many seconds. */
    static final int IDLE_SECONDS = 120;
    /** Slow requests waiting for the admin thread beyond this many are answered 503. */
    static final int MAX_QUEUED_TASKS = 64;

    private final Channel admin;
    private final Channel metrics;
    private final Channel health;
    private final ChannelGroup connections;
    private final ThreadPoolExecutor executor;
    private final EventLoopGroup group;
    private final OwnPorts ownPorts;
    private final AtomicBoolean closed = new AtomicBoolean();

    private AdminServers(Channel admin, Channel metrics, Channel health, ChannelGroup connections,
                         ThreadPoolExecutor executor, EventLoopGroup group, OwnPorts ownPorts) {
        this.ownPorts = ownPorts;
        this.admin = admin;
        this.metrics = metrics;
        this.health = health;
        this.connections = connections;
        this.executor = executor;
        this.group = group;
    }

    /**
     * Binds the three listeners on {@code group} (port 0 picks a free port) and returns once they are bound.
     * A bind failure closes whatever was already bound and throws {@link ListenFailure} naming the listener
     * ({@code admin}, {@code metrics} or {@code health}), its address and the reason.
     */
    public static AdminServers start(EventLoopGroup group, Transport transport, HostPort admin, HostPort metrics,
                                     HostPort health, AdminView view) throws InterruptedException {
        return start(group, transport, admin, metrics, health, view, new OwnPorts());
    }

    /** @param ownPorts where the bound ports are registered (the proxy's own, for loop detection) */
    public static AdminServers start(EventLoopGroup group, Transport transport, HostPort admin, HostPort metrics,
                                     HostPort health, AdminView view, OwnPorts ownPorts)
            throws InterruptedException {
        Objects.requireNonNull(group, "group");
        Objects.requireNonNull(transport, "transport");
        Objects.requireNonNull(view, "view");
        ThreadPoolExecutor executor = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS,
                new ArrayBlockingQueue<>(MAX_QUEUED_TASKS), r -> {
                    Thread t = new Thread(r, "remora-admin");
                    t.setDaemon(true);
                    return t;
                });
        ChannelGroup connections = new DefaultChannelGroup("remora-admin", GlobalEventExecutor.INSTANCE);
        ServerBootstrap template = new ServerBootstrap()
                .group(group)
                .channel(transport.serverChannel())
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true);
        List<Channel> bound = new ArrayList<>(3);
        try {
            bound.add(bind(template, admin, "admin", adminRouter(view), executor, connections));
            bound.add(bind(template, metrics, "metrics", metricsRouter(view), executor, connections));
            bound.add(bind(template, health, "health", healthRouter(view), executor, connections));
        } catch (RuntimeException | InterruptedException e) {
            bound.forEach(ch -> ch.close().awaitUninterruptibly());
            executor.shutdown();
            throw e;
        }
        for (Channel ch : bound) {
            ownPorts.add(((InetSocketAddress) ch.localAddress()).getPort());
        }
        return new AdminServers(bound.get(0), bound.get(1), bound.get(2), connections, executor, group, ownPorts);
    }

    private static Channel bind(ServerBootstrap template, HostPort at, String what, Router router,
                                ThreadPoolExecutor executor, ChannelGroup connections)
            throws InterruptedException {
        Objects.requireNonNull(at, what);
        ChannelFuture f = template.clone()
                .childHandler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        connections.add(ch);
                        ch.pipeline().addLast(
                                new IdleStateHandler(0, 0, IDLE_SECONDS, TimeUnit.SECONDS),
                                new HttpServerCodec(new HttpDecoderConfig()
                                        .setMaxInitialLineLength(4096)
                                        .setMaxHeaderSize(8192)),
                                new HttpObjectAggregator(MAX_REQUEST_BYTES),
                                new AdminHttp.Handler(router, executor));
                    }
                })
                .bind(new InetSocketAddress(at.host(), at.port()))
                .await();
        if (!f.isSuccess()) {
            throw ListenFailure.of(what, at.host(), at.port(), f.cause());
        }
        return f.channel();
    }

    static Router adminRouter(AdminView view) {
        Router router = new Router();
        router.get("/", "this index", false, r -> Response.text(HttpResponseStatus.OK,
                "Remora admin, config version " + orNone(view.configVersion()) + "\n\n" + router.index()));
        router.get("/config_dump", "active configuration (JSON)", true,
                r -> new Response(HttpResponseStatus.OK, AdminHttp.JSON,
                        view.configDumpJson().getBytes(java.nio.charset.StandardCharsets.UTF_8),
                        Map.of("x-remora-config-version", orNone(view.configVersion())), null));
        router.get("/certs", "certificates in use and their expiry (JSON)", true,
                r -> new Response(HttpResponseStatus.OK, AdminHttp.JSON,
                        view.certsJson().getBytes(java.nio.charset.StandardCharsets.UTF_8), Map.of(), null));
        router.get("/clusters", "clusters and endpoints", true,
                r -> Response.text(HttpResponseStatus.OK, view.clustersText()));
        router.get("/ready", "readiness, as /healthz/ready on the health port", false, r -> ready(view));
        router.stream("/debug/tap", "finished requests as JSON lines, live (?path=/x&authority=&status=5xx)",
                (r, ch) -> TapStream.open(view.tap(), r.query(), ch));
        router.get("/debug/explain", "why a request would go where (?path=/x&method=&authority=&header=n:v)", true,
                r -> explain(view, r));
        router.post("/drain", "stop taking new work and report not ready", r ->
                Response.text(HttpResponseStatus.OK, "draining\n").then(view::drain));
        router.post("/quitquitquit", "shut the proxy down", r ->
                Response.text(HttpResponseStatus.OK, "OK\n").then(view::quit));
        return router;
    }

    static Router metricsRouter(AdminView view) {
        return new Router().get("/stats/prometheus", "metrics (Prometheus text or OpenMetrics by Accept)", true,
                r -> scrape(view, r));
    }

    static Router healthRouter(AdminView view) {
        Router router = new Router()
                .get("/healthz/ready", "readiness", false, r -> ready(view))
                .get("/healthz/live", "liveness", false, r -> view.live()
                        ? Response.text(HttpResponseStatus.OK, "live\n")
                        : Response.text(HttpResponseStatus.SERVICE_UNAVAILABLE, "not live\n"));
        // The app's own probes, rewritten by the injector to come here (they block: off the event loop).
        AppProbes probes = view.appProbes();
        for (String path : probes.paths()) {
            router.get(path, "the app's probe", true, r -> probes.answer(path));
        }
        return router;
    }

    private static Response explain(AdminView view, Request r) {
        try {
            return new Response(HttpResponseStatus.OK, AdminHttp.JSON,
                    view.explainJson(r.query()).getBytes(java.nio.charset.StandardCharsets.UTF_8), Map.of(), null);
        } catch (IllegalArgumentException e) {
            return Response.text(HttpResponseStatus.BAD_REQUEST, e.getMessage() + "\n");
        }
    }

    private static Response ready(AdminView view) {
        return view.ready()
                ? Response.text(HttpResponseStatus.OK, "ready\n")
                : Response.text(HttpResponseStatus.SERVICE_UNAVAILABLE, "not ready\n");
    }

    private static String orNone(String version) {
        return version == null || version.isEmpty() ? "(none)" : version;
    }

    private static Response scrape(AdminView view, Request r) {
        String contentType = scrapeContentType(r.accept());
        ByteArrayOutputStream out = new ByteArrayOutputStream(16 * 1024);
        try {
            view.registry().scrape(out, contentType);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new Response(HttpResponseStatus.OK, contentType, out.toByteArray(), Map.of(), null);
    }

    /**
     * OpenMetrics when {@code Accept} lists {@code application/openmetrics-text} with a non-zero q, else
     * Prometheus text 0.0.4 (what Prometheus falls back to and what every scraper reads).
     */
    static String scrapeContentType(String accept) {
        if (accept == null) {
            return PROMETHEUS_TEXT;
        }
        for (String range : accept.split(",")) {
            String[] parts = range.split(";");
            if (!parts[0].trim().toLowerCase(Locale.ROOT).equals("application/openmetrics-text")) {
                continue;
            }
            double q = 1.0;
            for (int i = 1; i < parts.length; i++) {
                String p = parts[i].trim().toLowerCase(Locale.ROOT);
                if (p.startsWith("q=")) {
                    try {
                        q = Double.parseDouble(p.substring(2).trim());
                    } catch (NumberFormatException e) {
                        q = 0;
                    }
                }
            }
            if (q > 0) {
                return OPENMETRICS_TEXT;
            }
        }
        return PROMETHEUS_TEXT;
    }

    public InetSocketAddress adminAddress() {
        return (InetSocketAddress) admin.localAddress();
    }

    public InetSocketAddress metricsAddress() {
        return (InetSocketAddress) metrics.localAddress();
    }

    public InetSocketAddress healthAddress() {
        return (InetSocketAddress) health.localAddress();
    }

    /**
     * Closes the listeners and their open connections and stops the admin thread (a running task finishes).
     * Waits for the closes unless called on one of the group's event loops. Idempotent.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        List<ChannelFuture> closing = new ArrayList<>(3);
        for (Channel ch : List.of(admin, metrics, health)) {
            InetSocketAddress local = (InetSocketAddress) ch.localAddress();
            if (local != null) {
                ownPorts.remove(local.getPort());
            }
            closing.add(ch.close());
        }
        var connectionsClosed = connections.close();
        executor.shutdown();
        if (!onEventLoop()) {
            closing.forEach(ChannelFuture::awaitUninterruptibly);
            connectionsClosed.awaitUninterruptibly();
        }
    }

    private boolean onEventLoop() {
        for (EventExecutor e : group) {
            if (e.inEventLoop()) {
                return true;
            }
        }
        return false;
    }
}
