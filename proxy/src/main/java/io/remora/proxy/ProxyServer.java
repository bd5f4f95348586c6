package io.remora.proxy;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.GlobalEventExecutor;
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
import io.remora.proxy.http.DownstreamHttpHandler;
import io.remora.proxy.listener.DownstreamInitializer;
import io.remora.proxy.listener.ListenerSpec;
import io.remora.proxy.log.AccessLog;
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
 * runs, and applying a change), {@link ProxyAdminView} (what the admin endpoints show).
 */
public final class ProxyServer implements AutoCloseable {
    /** A drain ends early once no downstream connection has been open for this long. */
    private static final long DRAIN_QUIET_NANOS = TimeUnit.SECONDS.toNanos(1);
    /** After the drain time, how long responses in flight on inbound connections may take to finish. */
    private static final long DRAIN_GRACE_NANOS = TimeUnit.MILLISECONDS.toNanos(500);
    /** How often outlier detection is given the chance to return ejected endpoints. */
    private static final long SWEEP_MILLIS = 100;

    private final Bootstrap bootstrap;
    private final EventLoopGroup group;
    private final ChannelGroup connections = new DefaultChannelGroup("downstream", GlobalEventExecutor.INSTANCE);
    private final ProxyContext pc;
    private final RunningConfig config;
    private final Listeners listeners;
    private final AppProbes appProbes;
    /** Completed once the proxy has stopped (drained, quit, or closed). */
    private final CompletableFuture<Void> stopped = new CompletableFuture<>();
    private AdminServers admin;
    private volatile boolean ready;
    private volatile boolean closed;

    private ProxyServer(Bootstrap bootstrap, Transport transport, JsonWriter writer, AppProbes appProbes,
                        ProxyEnvironment environment, PrometheusMeterRegistry registry, TlsMeters tlsMeters) {
        this.bootstrap = bootstrap;
        this.appProbes = appProbes;
        Sidecar sidecar = bootstrap.sidecar();
        IdentitySource identity = bootstrap.identity();
        ProxyMetrics metrics = new ProxyMetrics(registry, WorkloadLabels.of(sidecar.workload(),
                sidecar.metadata().namespace(), sidecar.metadata().labels()),
                identity == null ? null : identity.current().svid().id().toString());
        ServiceGuards guards = new ServiceGuards(environment.ticker(), environment.randomness(), metrics::policy);
        RouteTable table = bootstrap.firstRoutes(guards);
        this.pc = new ProxyContext(sidecar, transport, metrics, new AccessLog(writer, sidecar.spec().accessLog()),
                table, connections, identity, tlsMeters, environment);
        this.config = new RunningConfig(pc, guards, registry);
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
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
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
            server = new ProxyServer(bootstrap, Transport.best(), writer, appProbes, environment, registry, tlsMeters);
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
        group.next().scheduleAtFixedRate(() -> pc.routes().sweep(), SWEEP_MILLIS, SWEEP_MILLIS, TimeUnit.MILLISECONDS);
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
     * Graceful stop, in this order and for these reasons:
     * <ol>
     *   <li>readiness turns false at once, so Kubernetes takes the pod out of its Services' endpoints;</li>
     *   <li>inbound connections are told to go elsewhere: HTTP/1.1 ones close after their current response
     *       ({@code Connection: close}; idle ones at once), HTTP/2 ones get GOAWAY and finish their streams;</li>
     *   <li>the inbound listener keeps accepting through the drain time, and serves what arrives the same way
     *       (one response with {@code Connection: close}, or one stream then GOAWAY): callers learn of the
     *       endpoint's removal only when the EndpointSlice update reaches them, and until then a refused
     *       connection would be a failed request;</li>
     *   <li>outbound listeners and connections are served as usual: the app may still be finishing its work;</li>
     *   <li>the proxy stops when the drain time is over, or earlier once no downstream connection has been open for
     *       a quiet second (nothing left to serve: a finished Job, an idle pod); at the drain time the inbound
     *       listener closes first and responses in flight get half a second to finish, so a request that was
     *       being answered at that moment is not cut.</li>
     * </ol>
     */
    public CompletableFuture<Void> drain() {
        // Outside the lock: ending a control-plane subscription waits for the client's thread.
        bootstrap.draining();
        startDrain();
        return stopped.copy();
    }

    private synchronized void startDrain() {
        if (pc.draining() || closed) {
            return;
        }
        pc.startDraining();
        Duration drainTime = pc.spec().drainTime();
        Log.info("drain_started", "connections", String.valueOf(pc.downstreamConnections().size()),
                "drain_time", io.remora.config.Durations.format(drainTime));
        for (Channel ch : pc.downstreamConnections()) {
            ListenerSpec l = ch.attr(DownstreamInitializer.LISTENER).get();
            if (l != null && !l.outbound()) {
                ch.eventLoop().execute(() -> ch.pipeline().fireUserEventTriggered(DownstreamHttpHandler.DRAIN));
            }
        }
        long deadline = System.nanoTime() + drainTime.toNanos();
        Thread waiter = new Thread(() -> {
            long quietSince = System.nanoTime();
            while (System.nanoTime() < deadline) {
                long now = System.nanoTime();
                if (!pc.downstreamConnections().isEmpty()) {
                    quietSince = now;
                } else if (now - quietSince >= DRAIN_QUIET_NANOS) {
                    break;
                }
                try {
                    Thread.sleep(20);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
            if (inboundConnections() > 0) {
                // The drain time is over with responses still on their way: take no new inbound connection (a
                // caller retries a refused one elsewhere), and give those in flight a moment to finish, since each
                // inbound connection closes after its current response.
                stopInbound();
                long graceEnd = System.nanoTime() + DRAIN_GRACE_NANOS;
                while (inboundConnections() > 0 && System.nanoTime() < graceEnd) {
                    try {
                        Thread.sleep(10);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        break;
                    }
                }
            }
            int left = pc.downstreamConnections().size();
            Log.info("drain_finished", "connections_cut", String.valueOf(left));
            close();
        }, "remora-drain");
        waiter.setDaemon(true);
        waiter.start();
    }

    private int inboundConnections() {
        int n = 0;
        for (Channel ch : pc.downstreamConnections()) {
            ListenerSpec l = ch.attr(DownstreamInitializer.LISTENER).get();
            if (l != null && !l.outbound()) {
                n++;
            }
        }
        return n;
    }

    /** Closes the inbound listener: no new connection from other sidecars, those open carry on. */
    private void stopInbound() {
        listeners.closeInbound().awaitUninterruptibly(1, TimeUnit.SECONDS);
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
        Log.info("proxy_stopped");
        stopped.complete(null);
    }
}
