package io.remora.proxy;

import io.micrometer.core.instrument.Clock;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.channel.EventLoopGroup;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.remora.config.IoTransport;
import io.remora.config.Sidecar;
import io.remora.config.Snapshot;
import io.remora.log.JsonWriter;
import io.remora.log.Log;
import io.remora.net.ListenFailure;
import io.remora.proxy.admin.AdminServers;
import io.remora.proxy.admin.AppProbes;
import io.remora.proxy.cluster.ServiceGuards;
import io.remora.proxy.controlplane.ControlPlaneSettings;
import io.remora.proxy.controlplane.ControlPlaneStatus;
import io.remora.proxy.log.AccessLog;
import io.remora.proxy.log.AccessLogFormat;
import io.remora.proxy.metrics.CoarseClock;
import io.remora.proxy.metrics.ProxyMetrics;
import io.remora.proxy.metrics.WorkloadLabels;
import io.remora.proxy.route.RouteTable;
import io.remora.proxy.tls.IdentitySource;
import io.remora.proxy.tls.TlsMeters;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One running sidecar: its listeners, event loops, admin endpoints and shared state. Started from a validated
 * snapshot; stopped by {@link #drain()} (graceful) or {@link #close()} (immediate).
 *
 * <p>How it runs is chosen once at start by its {@link Bootstrap}: from static files ({@link StaticBootstrap}) or
 * by a control plane ({@link ControlPlaneBootstrap}), which says where the workload identity, the first config and
 * later config ({@link ConfigSource}) come from. The parts: {@link Listeners} (binding), {@link RunningConfig} (what
 * runs, and applying a change), {@link Drain}, {@link ProxyAdminView} (what the admin endpoints show).
 */
public final class ProxyServer implements AutoCloseable {
    /** How often outlier detection is given the chance to return ejected endpoints. */
    private static final long SWEEP_MILLIS = 100;

    private final Bootstrap bootstrap;
    private final EventLoopGroup group;
    private final DownstreamConnections connections = new DownstreamConnections();
    private final ProxyContext pc;
    private final RunningConfig config;
    private final Listeners listeners;
    private final AppProbes appProbes;
    private final CoarseClock metricsClock;
    /** Completed once the proxy has stopped (drained, quit, or closed). */
    private final CompletableFuture<Void> stopped = new CompletableFuture<>();
    private AdminServers admin;
    private volatile boolean ready;
    private volatile boolean closed;

    private ProxyServer(Bootstrap bootstrap, Transport transport, JsonWriter writer, AppProbes appProbes,
                        ProxyEnvironment environment, PrometheusMeterRegistry registry, CoarseClock metricsClock,
                        TlsMeters tlsMeters) {
        this.bootstrap = bootstrap;
        this.metricsClock = metricsClock;
        this.appProbes = appProbes;
        Sidecar sidecar = bootstrap.sidecar();
        IdentitySource identity = bootstrap.identity();
        ProxyMetrics metrics = new ProxyMetrics(registry, WorkloadLabels.of(sidecar.workload(),
                sidecar.metadata().namespace(), sidecar.metadata().labels()),
                identity == null ? null : identity.current().svid().id().toString());
        ServiceGuards guards = new ServiceGuards(environment.ticker(), environment.randomness(), metrics::policy);
        RouteTable table = bootstrap.firstRoutes(guards);
        this.pc = new ProxyContext(sidecar, transport, metrics, new AccessLog(writer, sidecar.spec().accessLog(),
                AccessLogFormat.named(sidecar.spec().accessLogFields())),
                table, connections, identity, tlsMeters, environment);
        this.config = new RunningConfig(pc, guards, registry, () -> admin == null ? null : admin.metricsAddress());
        this.group = transport.newGroup(sidecar.spec().threads(), "remora-io");
        this.listeners = new Listeners(pc, group);
    }

    /**
     * Binds every listener of the snapshot's Sidecar and the admin endpoints; ready when it returns.
     *
     * @throws ListenFailure when a listener cannot be bound; those already bound are closed
     */
    public static ProxyServer start(Snapshot snapshot) throws InterruptedException {
        return start(snapshot, JsonWriter.stdout());
    }

    public static ProxyServer start(Snapshot snapshot, JsonWriter writer) throws InterruptedException {
        return start(snapshot, writer, ControlPlaneSettings.defaults());
    }

    /**
     * Starts with the given control-plane timing (tests make it fast and move its clock); static mode ignores it.
     *
     * @throws io.remora.certs.CertificateException in control-plane mode when no workload certificate is kept and
     *                                              the control plane gave none within the start timeout; the message
     *                                              carries the control plane's reason
     * @throws ListenFailure                        when a listener cannot be bound (in use, a port below 1024
     *                                              without the privilege, an address not of this machine); the
     *                                              listeners already bound are closed before it is thrown
     */
    public static ProxyServer start(Snapshot snapshot, JsonWriter writer, ControlPlaneSettings cpSettings)
            throws InterruptedException {
        return start(snapshot, writer, cpSettings, AppProbes.none(), ProxyEnvironment.SYSTEM, ConfigSource.none());
    }

    /** Starts with the given time and random source of the request path (tests: a seeded one). */
    public static ProxyServer start(Snapshot snapshot, JsonWriter writer, ProxyEnvironment environment)
            throws InterruptedException {
        return start(snapshot, writer, ControlPlaneSettings.defaults(), AppProbes.none(), environment,
                ConfigSource.none());
    }

    /** In a pod: also performs the app's probes the injector moved to the health port ({@code /app-health/...}). */
    public static ProxyServer start(Snapshot snapshot, AppProbes appProbes) throws InterruptedException {
        return start(snapshot, appProbes, ConfigSource.none());
    }

    /**
     * Static mode reloads its services, routes and policies from {@code files} (a {@link ConfigFileWatcher} over the
     * files {@code snapshot} was loaded from); with a control plane they are pushed, and {@code files} is closed.
     * The proxy closes it when it stops.
     */
    public static ProxyServer start(Snapshot snapshot, ConfigSource files) throws InterruptedException {
        return start(snapshot, AppProbes.none(), files);
    }

    /** {@link #start(Snapshot, ConfigSource)} with the app's probes, as the launcher starts a sidecar. */
    public static ProxyServer start(Snapshot snapshot, AppProbes appProbes, ConfigSource files)
            throws InterruptedException {
        return start(snapshot, JsonWriter.stdout(), ControlPlaneSettings.defaults(), appProbes,
                ProxyEnvironment.SYSTEM, files);
    }

    private static ProxyServer start(Snapshot snapshot, JsonWriter writer, ControlPlaneSettings cpSettings,
                                     AppProbes appProbes, ProxyEnvironment environment, ConfigSource files)
            throws InterruptedException {
        CoarseClock metricsClock = new CoarseClock(Clock.SYSTEM);
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT,
                new PrometheusRegistry(), metricsClock);
        TlsMeters tlsMeters = new TlsMeters(registry);
        Bootstrap bootstrap;
        try {
            bootstrap = Bootstrap.choose(snapshot, files, cpSettings, tlsMeters, registry);
        } catch (RuntimeException e) {
            files.close();
            throw e;
        }
        ProxyServer server;
        try {
            IoTransport asked = bootstrap.sidecar().spec().transport();
            Transport transport = Transport.of(asked);
            if (transport.fallback() != null) {
                Log.warn("transport_fallback", "asked", asked.configName(), "transport", transport.name(),
                        "reason", transport.fallback());
            }
            server = new ProxyServer(bootstrap, transport, writer, appProbes, environment, registry, metricsClock,
                    tlsMeters);
        } catch (RuntimeException e) {
            bootstrap.close();
            throw e;
        }
        try {
            server.listen();
            // Once the listeners are bound, so what the source delivers has somewhere to go.
            bootstrap.source().start(server.config);
        } catch (RuntimeException | InterruptedException e) {
            server.close();
            throw e;
        }
        return server;
    }

    private void listen() throws InterruptedException {
        listeners.bindAll();
        Sidecar.Spec spec = pc.spec();
        admin = AdminServers.start(group, pc.transport(), spec.admin(), spec.metrics(), spec.health(),
                new ProxyAdminView(this, listeners, bootstrap, appProbes), pc.ownPorts());
        // Outlier detection returns ejected endpoints on this tick; each service acts once per its own interval.
        // The metrics' wall clock moves on the same tick (CoarseClock).
        group.next().scheduleAtFixedRate(() -> {
            metricsClock.tick();
            pc.routes().sweep();
        }, SWEEP_MILLIS, SWEEP_MILLIS, TimeUnit.MILLISECONDS);
        ready = true;
        Log.info("proxy_ready", "version", configVersion(), "control_plane", bootstrap.controlPlane(),
                "config_source", bootstrap.source().name(), "transport", pc.transport().name(),
                "threads", String.valueOf(spec.threads()), "admin", String.valueOf(admin.adminAddress()),
                "metrics", String.valueOf(admin.metricsAddress()), "health", String.valueOf(admin.healthAddress()));
    }

    /** Local address of a listener by name ({@code inbound}, {@code capture}, or an explicit upstream). */
    public InetSocketAddress listenerAddress(String name) {
        return listeners.address(name);
    }

    /** Local address of the explicit listener for a service key. */
    public InetSocketAddress upstreamAddress(String serviceKey) {
        return listeners.upstream(serviceKey);
    }

    public InetSocketAddress inboundAddress() {
        return listenerAddress("inbound");
    }

    public InetSocketAddress adminAddress() {
        return admin.adminAddress();
    }

    public InetSocketAddress metricsAddress() {
        return admin.metricsAddress();
    }

    public InetSocketAddress healthAddress() {
        return admin.healthAddress();
    }

    public PrometheusMeterRegistry registry() {
        return pc.metrics().registry();
    }

    public ProxyContext context() {
        return pc;
    }

    /** Listening, not draining, and (with a control plane) running a config: kept or pushed. */
    public boolean ready() {
        return ready && !pc.draining() && !closed && bootstrap.hasConfig(configVersion());
    }

    /** Not stopped. */
    boolean live() {
        return !closed;
    }

    /** The control-plane connection's state; null in static mode. */
    public ControlPlaneStatus controlPlaneStatus() {
        return bootstrap.controlPlaneStatus();
    }

    /**
     * Graceful stop: readiness turns false at once, inbound connections are told to go elsewhere while the inbound
     * listener goes on serving, outbound is served as usual, and the proxy stops at the drain time or after a quiet
     * second ({@link Drain} has the order and its reasons). Done once the proxy has stopped.
     */
    public CompletableFuture<Void> drain() {
        // Outside the lock: ending a control-plane subscription waits for the client's thread.
        bootstrap.draining();
        startDrain();
        return stopped.copy();
    }

    private synchronized void startDrain() {
        if (!pc.draining() && !closed) {
            new Drain(pc, connections, listeners, group.next(), this::close).start();
        }
    }

    /**
     * Applies a new snapshot to the running proxy: services, routes, resilience and authorization policies are
     * swapped atomically (requests in flight finish on what they started with). The Sidecar resource is read at
     * start (listeners, mTLS, limits), so a snapshot whose Sidecar differs is refused and the running config kept.
     *
     * @throws IllegalArgumentException naming why the snapshot cannot be applied; nothing changed then
     */
    public void apply(Snapshot next) {
        config.apply(next);
    }

    /** The config the proxy runs: the Sidecar it started with, and the services, routes and policies applied last. */
    public Snapshot config() {
        return config.running();
    }

    /** The I/O transport the proxy runs on ({@code io_uring}, {@code epoll}, {@code nio}), as proxy_ready says. */
    public String transport() {
        return pc.transport().name();
    }

    /** The version of the config the proxy runs. */
    public String configVersion() {
        return config.runningVersion();
    }

    /** Blocks until the proxy has stopped (drained, quit, or closed). */
    public void awaitTermination() throws InterruptedException {
        try {
            stopped.get();
        } catch (ExecutionException e) {
            throw new IllegalStateException(e); // never: it is only ever completed normally
        }
    }

    /** Waits at most {@code timeout} for the proxy to stop; true when it has. */
    public boolean awaitTermination(Duration timeout) throws InterruptedException {
        try {
            stopped.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (ExecutionException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        // Outside the lock: ending the config source waits for its thread, which may be applying a snapshot.
        bootstrap.source().close();
        closeNow();
    }

    private synchronized void closeNow() {
        if (closed) {
            return;
        }
        closed = true;
        ready = false;
        listeners.close();
        connections.close().awaitUninterruptibly(1, TimeUnit.SECONDS);
        pc.pools().closeAll();
        if (admin != null) {
            admin.close();
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(3, TimeUnit.SECONDS);
        bootstrap.close();
        // After the event loops: the last spans were ended; this exports what is queued, waiting at most 5 s.
        pc.tracing().close();
        Log.info("proxy_stopped");
        stopped.complete(null);
    }
}
