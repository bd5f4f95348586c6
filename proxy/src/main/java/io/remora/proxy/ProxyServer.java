package io.remora.proxy;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.remora.config.HostPort;
import io.remora.config.MtlsMode;
import io.remora.config.Sidecar;
import io.remora.config.Snapshot;
import io.remora.proxy.admin.AdminServers;
import io.remora.proxy.admin.AdminView;
import io.remora.proxy.cluster.Cluster;
import io.remora.proxy.cluster.Endpoint;
import io.remora.proxy.cluster.ServiceGuards;
import io.remora.proxy.controlplane.CertificateClient;
import io.remora.proxy.controlplane.ConfigTarget;
import io.remora.proxy.controlplane.ControlPlaneChannels;
import io.remora.proxy.controlplane.ControlPlaneClient;
import io.remora.proxy.controlplane.ControlPlaneSettings;
import io.remora.proxy.controlplane.ControlPlaneStatus;
import io.remora.proxy.controlplane.LastKnownGood;
import io.remora.proxy.http.DownstreamHttpHandler;
import io.remora.proxy.listener.DownstreamInitializer;
import io.remora.proxy.listener.ListenerSpec;
import io.remora.proxy.log.AccessLog;
import io.remora.log.JsonWriter;
import io.remora.log.Log;
import io.remora.net.ListenFailure;
import io.remora.proxy.tls.ControlPlaneIdentitySource;
import io.remora.proxy.tls.FileIdentitySource;
import io.remora.proxy.tls.IdentitySource;
import io.remora.proxy.tls.LocalCaIdentitySource;
import io.remora.proxy.tls.TlsMeters;
import io.remora.proxy.metrics.ProxyMetrics;
import io.remora.proxy.net.Backpressure;
import io.remora.proxy.policy.Ticker;
import io.remora.proxy.route.RouteTable;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * One running sidecar: its listeners, event loops, admin endpoints and shared state. Started from a
 * validated snapshot; stopped by {@link #drain()} (graceful) or {@link #close()} (immediate).
 *
 * <p>Static mode (no {@code spec.controlPlane}): the snapshot's services, routes and policies are what it runs.
 * Control-plane mode: the snapshot holds only the Sidecar; the workload certificate comes from the control plane's CA
 * service ({@link ControlPlaneIdentitySource}; start fails when neither a kept one nor a new one is to be had), the
 * proxy starts from the last-known-good config in the state directory when there is one (else with no services, not
 * ready until the first snapshot is applied), and once the listeners are bound the {@link ControlPlaneClient}
 * subscribes and applies what is pushed.
 */
public final class ProxyServer implements AutoCloseable {
    /** How often the mTLS certificate files are checked for a rotation. */
    private static final long CERT_CHECK_MILLIS = 1_000;
    /** A drain ends early once no downstream connection has been open for this long. */
    private static final long DRAIN_QUIET_NANOS = TimeUnit.SECONDS.toNanos(1);
    /** After the drain time, how long responses in flight on inbound connections may take to finish. */
    private static final long DRAIN_GRACE_NANOS = TimeUnit.MILLISECONDS.toNanos(500);
    /** How often outlier detection is given the chance to return ejected endpoints. */
    private static final long SWEEP_MILLIS = 100;

    private final Snapshot snapshot;
    private final ControlPlaneSettings cpSettings;
    /** Control-plane mode only (else null): its channels, the identity it issues, what is kept, how it goes. */
    private final ControlPlaneChannels cpChannels;
    private final ControlPlaneIdentitySource cpIdentity;
    private final LastKnownGood lastKnownGood;
    private final ControlPlaneStatus cpStatus;
    private volatile ControlPlaneClient cpClient;
    private final io.micrometer.core.instrument.Counter configApplied;
    private final io.remora.proxy.metrics.ConfigVersionGauge versionGauge;
    private final io.micrometer.core.instrument.Counter configRejected;
    private final Transport transport;
    private final EventLoopGroup group;
    /** Each service's limits, budget, ejections and endpoint health, kept across snapshots (not per table). */
    private final ServiceGuards guards;
    private final ProxyContext pc;
    /** Set before the health port is bound. */
    private io.remora.proxy.admin.AppProbes appProbes = io.remora.proxy.admin.AppProbes.none();
    private final Map<String, Channel> listeners = new LinkedHashMap<>();
    private final Map<String, ListenerSpec> specs = new LinkedHashMap<>();
    private final CountDownLatch terminated = new CountDownLatch(1);
    private AdminServers admin;
    private volatile boolean ready;
    private volatile boolean stopped;
    private volatile CompletableFuture<Void> draining;

    private ProxyServer(Snapshot given, Transport transport, JsonWriter writer, ControlPlaneSettings cpSettings,
                        ProxyEnvironment environment) {
        this.transport = transport;
        this.cpSettings = cpSettings;
        Sidecar.ControlPlane cp = given.sidecarOrDefault().spec().controlPlane();
        Sidecar sidecar = cp == null ? given.sidecarOrDefault() : withDefaultMtls(given.sidecarOrDefault());
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        TlsMeters tlsMeters = new TlsMeters(registry);
        Sidecar.Mtls mtls = sidecar.spec().mtls();
        IdentitySource identity;
        Snapshot starting;
        if (cp == null) {
            this.cpChannels = null;
            this.cpIdentity = null;
            this.lastKnownGood = null;
            this.cpStatus = null;
            // Before anything else starts: an unusable certificate or key is a start-up error naming the file.
            identity = mtls == null || !mtls.enabled() ? null
                    : mtls.localCa() != null
                    ? new LocalCaIdentitySource(mtls, sidecar.metadata().namespace(), sidecar.workload(),
                            java.time.Clock.systemUTC(), tlsMeters)
                    : new FileIdentitySource(mtls, java.time.Clock.systemUTC(), tlsMeters, CERT_CHECK_MILLIS);
            starting = given;
        } else {
            this.cpChannels = new ControlPlaneChannels(cp, cpSettings.clock());
            try {
                // The subscription presents this certificate even when mTLS between sidecars is DISABLE.
                this.cpIdentity = new ControlPlaneIdentitySource(sidecar.stateDir(), cpChannels.address(),
                        new CertificateClient(cpChannels, Path.of(cp.tokenFile()), cpSettings.callTimeout()),
                        cpSettings.certificateTiming(), tlsMeters);
            } catch (RuntimeException e) {
                cpChannels.close();
                throw e;
            }
            identity = mtls.enabled() ? cpIdentity : null;
            this.lastKnownGood = new LastKnownGood(sidecar.stateDir());
            this.cpStatus = new ControlPlaneStatus(cpChannels.address(), lastKnownGood.path(), cpSettings.clock(),
                    registry);
            starting = lastKnownGood.load(sidecar);
            if (starting != null) {
                Log.info("last_known_good_loaded", "version", starting.version(),
                        "file", lastKnownGood.path().toString(), "services", starting.services().size());
            }
        }
        this.group = transport.newGroup(sidecar.spec().threads(), "remora-io");
        String workload = sidecar.workload();
        ProxyMetrics metrics = new ProxyMetrics(registry, io.remora.proxy.metrics.WorkloadLabels.of(workload,
                sidecar.metadata().namespace(), sidecar.metadata().labels()),
                identity == null ? null : identity.current().svid().id().toString());
        AccessLog accessLog = new AccessLog(writer, sidecar.spec().accessLog());
        this.configApplied = io.micrometer.core.instrument.Counter.builder("remora.config.applied")
                .description("Snapshots applied to the running proxy after start").register(registry);
        this.configRejected = io.micrometer.core.instrument.Counter.builder("remora.config.rejected")
                .description("Snapshots refused; the running config was kept").register(registry);
        this.guards = new ServiceGuards(environment.ticker(), environment.randomness(), metrics::policy);
        RouteTable table = null;
        if (starting != null) {
            try {
                table = RouteTable.build(starting, guards);
            } catch (IllegalArgumentException e) {
                if (cp == null) {
                    throw e;
                }
                Log.warn("last_known_good_unusable", "file", lastKnownGood.path().toString(), "error", e.getMessage());
            }
        }
        if (table == null) {
            // Control-plane mode with nothing kept: no services (404 NR) and not ready until the first snapshot.
            starting = new Snapshot("", sidecar, List.of(), List.of(), List.of());
            table = RouteTable.build(starting, guards);
            Log.info("waiting_for_control_plane", "address", cpChannels.address(),
                    "last_known_good", lastKnownGood.path().toString());
        }
        this.snapshot = starting;
        this.versionGauge = new io.remora.proxy.metrics.ConfigVersionGauge(registry, starting.version());
        this.pc = new ProxyContext(sidecar, transport, metrics, accessLog, table,
                new DefaultChannelGroup("downstream", GlobalEventExecutor.INSTANCE), identity, tlsMeters,
                environment);
    }

    /**
     * A control plane issues the identity even when the Sidecar says nothing of mTLS: its mode is then PERMISSIVE,
     * written into the Sidecar the proxy runs with, so everything that reads the mode sees one.
     */
    private static Sidecar withDefaultMtls(Sidecar s) {
        Sidecar.Spec spec = s.spec();
        if (spec.mtls() != null) {
            return s;
        }
        return new Sidecar(s.metadata(), new Sidecar.Spec(spec.workload(), spec.threads(), spec.inbound(),
                spec.outbound(), spec.admin(), spec.metrics(), spec.health(), spec.drainTime(), spec.accessLog(),
                spec.limits(), spec.serverFirstPorts(),
                new Sidecar.Mtls(MtlsMode.PERMISSIVE, null, null, null, null, null, null), spec.controlPlane()));
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
        return start(snapshot, writer, cpSettings, io.remora.proxy.admin.AppProbes.none(), ProxyEnvironment.SYSTEM);
    }

    /** Starts with the given time and random source of the request path (tests: a seeded one). */
    public static ProxyServer start(Snapshot snapshot, JsonWriter writer, ProxyEnvironment environment)
            throws InterruptedException {
        return start(snapshot, writer, ControlPlaneSettings.defaults(), io.remora.proxy.admin.AppProbes.none(),
                environment);
    }

    /** In a pod: also performs the app's probes the injector moved to the health port ({@code /app-health/...}). */
    public static ProxyServer start(Snapshot snapshot, io.remora.proxy.admin.AppProbes appProbes)
            throws InterruptedException {
        return start(snapshot, JsonWriter.stdout(), ControlPlaneSettings.defaults(), appProbes,
                ProxyEnvironment.SYSTEM);
    }

    private static ProxyServer start(Snapshot snapshot, JsonWriter writer, ControlPlaneSettings cpSettings,
                                     io.remora.proxy.admin.AppProbes appProbes, ProxyEnvironment environment)
            throws InterruptedException {
        ProxyServer server = new ProxyServer(snapshot, Transport.best(), writer, cpSettings, environment);
        server.appProbes = appProbes;
        try {
            server.bindAll();
            server.subscribe();
        } catch (RuntimeException | InterruptedException e) {
            server.close();
            throw e;
        }
        return server;
    }

    /** Control-plane mode: subscribes once the listeners are bound, so a pushed snapshot has somewhere to go. */
    private void subscribe() {
        if (cpChannels == null) {
            return;
        }
        ControlPlaneClient client = new ControlPlaneClient(cpChannels, () -> cpIdentity.current().svid(),
                new Target(), lastKnownGood, cpStatus, cpSettings.reconnect());
        cpClient = client;
        client.start();
    }

    private void bindAll() throws InterruptedException {
        Sidecar.Spec spec = pc.spec();
        List<ListenerSpec> wanted = new ArrayList<>();
        if (spec.inbound() != null) {
            wanted.add(ListenerSpec.inbound(spec.inbound().listen(), spec.inbound().app(), spec.inbound().appProtocol(),
                    spec.inbound().tls()));
        }
        if (spec.outbound().capture().enabled()) {
            wanted.add(ListenerSpec.capture(spec.outbound().capture().listen()));
        }
        for (Sidecar.Upstream u : spec.outbound().upstreams()) {
            wanted.add(ListenerSpec.explicit(u.listen(), u.service()));
        }
        for (ListenerSpec l : wanted) {
            Channel ch = bind(l);
            listeners.put(l.name(), ch);
            specs.put(l.name(), l);
            // A captured connection aimed at any of our own ports would loop back into the proxy.
            pc.ownPorts().add(((InetSocketAddress) ch.localAddress()).getPort());
            Log.info("listener_bound", "name", l.name(), "address", String.valueOf(ch.localAddress()));
        }
        admin = AdminServers.start(group, transport, spec.admin(), spec.metrics(), spec.health(), new View(),
                pc.ownPorts());
        // Outlier detection returns ejected endpoints on this tick; each service acts once per its own interval.
        group.next().scheduleAtFixedRate(() -> pc.routes().sweep(), SWEEP_MILLIS, SWEEP_MILLIS, TimeUnit.MILLISECONDS);
        ready = true;
        Log.info("proxy_ready", "version", snapshot.version(),
                "control_plane", cpChannels == null ? "none" : cpChannels.address(), "transport", transport.name(),
                "threads", String.valueOf(spec.threads()), "admin", String.valueOf(admin.adminAddress()),
                "metrics", String.valueOf(admin.metricsAddress()), "health", String.valueOf(admin.healthAddress()));
    }

    /** Binds one listener; a failure is a {@link ListenFailure} naming its role, address and reason. */
    private Channel bind(ListenerSpec l) throws InterruptedException {
        HostPort at = l.bind();
        ChannelFuture f = new ServerBootstrap()
                .group(group)
                .channel(transport.serverChannel())
                .option(ChannelOption.SO_BACKLOG, 1024)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.SO_KEEPALIVE, true)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, Backpressure.WATER_MARK)
                .childHandler(new DownstreamInitializer(pc, l))
                .bind(at.host(), at.port())
                .await();
        if (!f.isSuccess()) {
            throw ListenFailure.of(l.role(), at.host(), at.port(), f.cause());
        }
        return f.channel();
    }

    /** Local address of a listener by name ({@code inbound}, {@code capture}, or an explicit upstream). */
    public InetSocketAddress listenerAddress(String name) {
        Channel ch = listeners.get(name);
        return ch == null ? null : (InetSocketAddress) ch.localAddress();
    }

    /** Local address of the explicit listener for a service key. */
    public InetSocketAddress upstreamAddress(String serviceKey) {
        for (Map.Entry<String, ListenerSpec> e : specs.entrySet()) {
            if (e.getValue() instanceof ListenerSpec.ExplicitUpstream x && x.serviceKey().equals(serviceKey)) {
                return listenerAddress(e.getKey());
            }
        }
        return null;
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
        return ready && !pc.draining() && !stopped && (cpChannels == null || !configVersion().isEmpty());
    }

    /** The control-plane connection's state; null in static mode. */
    public ControlPlaneStatus controlPlaneStatus() {
        return cpStatus;
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
        // Outside the lock: the client's thread may be waiting for it in apply().
        stopControlPlane();
        return startDrain();
    }

    private synchronized CompletableFuture<Void> startDrain() {
        if (draining != null) {
            return draining;
        }
        CompletableFuture<Void> done = new CompletableFuture<>();
        draining = done;
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
            done.complete(null);
        }, "remora-drain");
        waiter.setDaemon(true);
        waiter.start();
        return done;
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
    private synchronized void stopInbound() {
        for (Map.Entry<String, Channel> e : listeners.entrySet()) {
            ListenerSpec spec = specs.get(e.getKey());
            if (spec != null && !spec.outbound()) {
                e.getValue().close().awaitUninterruptibly(1, TimeUnit.SECONDS);
            }
        }
    }

    /** Blocks until the proxy has stopped (drained, quit, or closed). */
    /**
     * Applies a new snapshot to the running proxy: services, routes, resilience and authorization policies are
     * swapped atomically (requests in flight finish on what they started with). The Sidecar resource is read at
     * start (listeners, mTLS, limits), so a snapshot whose Sidecar differs is refused and the running config kept.
     *
     * @throws IllegalArgumentException naming why the snapshot cannot be applied; nothing changed then
     */
    public synchronized void apply(Snapshot next) {
        if (!next.sidecarOrDefault().equals(snapshot.sidecarOrDefault())) {
            configRejected.increment();
            throw new IllegalArgumentException("the Sidecar resource changed; listeners, mTLS and limits are set at"
                    + " start, so restart the proxy to use it (services, routes and policies reload without one)");
        }
        if (next.version().equals(pc.routes().snapshot().version())) {
            return;
        }
        RouteTable table;
        try {
            table = RouteTable.build(next, guards);
        } catch (IllegalArgumentException e) {
            configRejected.increment();
            throw e;
        }
        String previous = pc.routes().snapshot().version();
        pc.swapRoutes(table);
        versionGauge.set(next.version());
        configApplied.increment();
        Log.info("config_applied", "version", next.version(), "previous", previous,
                "services", next.services().size(), "routes", next.routes().size(),
                "authorization_policies", next.authorizationPolicies().size());
    }

    /** Counts a reload refused before it reached {@link #apply} (files that do not load or validate). */
    void configRejected() {
        configRejected.increment();
    }

    /** The config the proxy runs: the Sidecar it started with, and the services, routes and policies applied last. */
    public Snapshot config() {
        return pc.routes().snapshot();
    }

    /** The version of the config the proxy runs. */
    public String configVersion() {
        return pc.routes().snapshot().version();
    }

    public void awaitTermination() throws InterruptedException {
        terminated.await();
    }

    public boolean awaitTermination(Duration timeout) throws InterruptedException {
        return terminated.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void stopControlPlane() {
        ControlPlaneClient client = cpClient;
        if (client != null) {
            client.close();
        }
    }

    @Override
    public void close() {
        // Outside the lock: the client's thread may be waiting for it in apply().
        stopControlPlane();
        closeNow();
    }

    private synchronized void closeNow() {
        if (stopped) {
            return;
        }
        stopped = true;
        ready = false;
        for (Channel l : listeners.values()) {
            if (l.localAddress() instanceof InetSocketAddress a) {
                pc.ownPorts().remove(a.getPort());
            }
            l.close();
        }
        pc.downstreamConnections().close().awaitUninterruptibly(1, TimeUnit.SECONDS);
        pc.pools().closeAll();
        if (admin != null) {
            admin.close();
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(3, TimeUnit.SECONDS);
        if (pc.identity() != null) {
            pc.identity().close();
        }
        if (cpIdentity != null) {
            cpIdentity.close();
            cpChannels.close();
        }
        Log.info("proxy_stopped");
        terminated.countDown();
    }

    private List<Map<String, Object>> listenerDump() {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Map.Entry<String, ListenerSpec> e : specs.entrySet()) {
            Map<String, Object> m = new LinkedHashMap<>();
            ListenerSpec l = e.getValue();
            m.put("name", l.name());
            m.put("kind", l.dumpKind());
            m.put("address", String.valueOf(listenerAddress(e.getKey())));
            l.dumpDetails(m);
            out.add(m);
        }
        return out;
    }

    /** Where the control-plane client puts what it accepted. */
    private final class Target implements ConfigTarget {
        @Override
        public Sidecar sidecar() {
            return snapshot.sidecarOrDefault();
        }

        @Override
        public String runningVersion() {
            return configVersion();
        }

        @Override
        public void apply(Snapshot next) {
            ProxyServer.this.apply(next);
        }
    }

    /** What the admin endpoints show and do. */
    private final class View implements AdminView {
        @Override
        public String configDumpJson() {
            return ConfigDump.json(pc.routes().snapshot(), listenerDump(),
                    cpStatus == null ? null : cpStatus.dump(ProxyServer.this.configVersion()));
        }

        @Override
        public String certsJson() {
            return pc.identity() == null ? AdminView.super.certsJson()
                    : io.remora.proxy.tls.CertsDump.json(pc.spec().mtls().mode(), pc.identity().current(), java.time.Instant.now());
        }

        @Override
        public String clustersText() {
            StringBuilder sb = new StringBuilder();
            Map<String, Integer> idle = pc.pools().idleConnections();
            for (Cluster c : pc.routes().clusters()) {
                for (Endpoint e : c.endpoints()) {
                    String prefix = c.name() + "::" + e + "::";
                    sb.append(prefix).append("weight::").append(e.weight()).append('\n');
                    sb.append(prefix).append("rq_active::").append(e.activeRequests()).append('\n');
                    sb.append(prefix).append("idle_connections::")
                            .append(idle.getOrDefault(e.address().toString(), 0)).append('\n');
                    sb.append(prefix).append("protocol::").append(c.protocol().name().toLowerCase()).append('\n');
                    // Envoy's wording: an endpoint ejected by outlier detection is "/failed_outlier_check".
                    sb.append(prefix).append("health_flags::")
                            .append(c.guard().isEjected(e) ? "/failed_outlier_check" : "healthy").append('\n');
                }
            }
            return sb.toString();
        }

        @Override
        public String configVersion() {
            return pc.routes().snapshot().version();
        }

        @Override
        public io.remora.proxy.admin.AppProbes appProbes() {
            return appProbes;
        }

        @Override
        public boolean ready() {
            return ProxyServer.this.ready();
        }

        @Override
        public boolean live() {
            return !stopped;
        }

        @Override
        public void drain() {
            ProxyServer.this.drain();
        }

        @Override
        public void quit() {
            Thread t = new Thread(ProxyServer.this::close, "remora-quit");
            t.setDaemon(true);
            t.start();
        }

        @Override
        public PrometheusMeterRegistry registry() {
            return pc.metrics().registry();
        }
    }
}
