package io.remora.controlplane;

import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyServerBuilder;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.remora.certs.TrustBundle;
import io.remora.controlplane.ca.CaService;
import io.remora.controlplane.ca.CredentialVerifier;
import io.remora.controlplane.dashboard.ClientGate;
import io.remora.controlplane.dashboard.MeshScraper;
import io.remora.controlplane.mesh.MeshBuilder;
import io.remora.controlplane.mesh.MeshState;
import io.remora.controlplane.push.DebouncedPublisher;
import io.remora.controlplane.push.Peer;
import io.remora.controlplane.push.PushService;
import io.remora.controlplane.source.MeshSource;
import io.remora.log.Log;
import io.remora.net.ListenFailure;
import io.remora.protocol.MeshProtocol;

import javax.net.ssl.SSLException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The control plane: sources feed one {@link MeshState}; each change is debounced and pushed, cut per sidecar, over
 * one gRPC stream per sidecar on the TLS port, which also serves the CA. It keeps no state of its own besides what
 * the sources hold (and the CA's key), so several replicas can run side by side, each serving any sidecar.
 *
 * <p>The path of a change, in order: source sees it → {@link MeshBuilder} validates all sources together (a broken
 * origin is rejected alone) → {@link DebouncedPublisher} waits for quiet (an endpoint removal does not wait) →
 * {@link PushService} cuts each sidecar's snapshot and sends it if it changed → the sidecar ACKs (convergence
 * measured) or NACKs.
 */
public final class ControlPlaneServer implements AutoCloseable {
    /**
     * @param listen         the push and CA port (15010)
     * @param admin          metrics and health (15014)
     * @param caDir          the CA ({@link CaDirectory})
     * @param trustDomain    for a CA created in an empty {@code caDir}
     * @param namespace      the control plane's own namespace (in its SPIFFE ID)
     * @param certificateTtl lifetime of issued workload certificates
     * @param quiet          debounce: a change is pushed once the changes have been quiet this long
     * @param maxDelay       debounce: but never later than this after the first change
     * @param sources        where resources come from
     * @param credentials    what proves a workload's identity to the CA service
     * @param dashboard      how the dashboard scrapes the sidecars and how many clients it serves at once
     */
    public record Options(InetSocketAddress listen, InetSocketAddress admin, Path caDir, String trustDomain,
                          String namespace, Duration certificateTtl, Duration quiet, Duration maxDelay,
                          List<MeshSource> sources, CredentialVerifier credentials, Clock clock,
                          MeshScraper.Settings dashboard) {
        public static final Duration QUIET = Duration.ofMillis(100);
        public static final Duration MAX_DELAY = Duration.ofSeconds(1);

        public Options {
            dashboard = dashboard == null ? MeshScraper.Settings.DEFAULTS : dashboard;
        }

        /** With the dashboard's defaults ({@link MeshScraper.Settings#DEFAULTS}). */
        public Options(InetSocketAddress listen, InetSocketAddress admin, Path caDir, String trustDomain,
                       String namespace, Duration certificateTtl, Duration quiet, Duration maxDelay,
                       List<MeshSource> sources, CredentialVerifier credentials, Clock clock) {
            this(listen, admin, caDir, trustDomain, namespace, certificateTtl, quiet, maxDelay, sources, credentials,
                    clock, null);
        }

        /** These options with other dashboard settings. */
        public Options withDashboard(MeshScraper.Settings settings) {
            return new Options(listen, admin, caDir, trustDomain, namespace, certificateTtl, quiet, maxDelay,
                    sources, credentials, clock, settings);
        }
    }

    /** Lifetime of the control plane's own serving certificate (renewed at half). */
    private static final Duration SERVING_TTL = Duration.ofHours(24);

    private final ControlPlaneMetrics metrics = new ControlPlaneMetrics();
    private final ScheduledExecutorService scheduler;
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private final PushService push;
    private final MeshBuilder builder;
    private final DebouncedPublisher publisher;
    private final Server grpc;
    private final AdminServer admin;
    private final CaDirectory ca;
    private volatile boolean ready;
    private final java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();
    private final int port;

    private ControlPlaneServer(Options options) throws IOException {
        this.scheduler = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "remora-cp-scheduler");
            t.setDaemon(true);
            return t;
        });
        Server grpcStarted = null;
        AdminServer adminStarted = null;
        try {
            Clock clock = options.clock();
            this.ca = CaDirectory.load(options.caDir(), options.trustDomain(), clock);
            TrustBundle bundle = TrustBundle.of(options.caDir().resolve("root.pem").toString(), ca.roots());
            ServingIdentity identity = new ServingIdentity(ca.ca(), options.namespace(), SERVING_TTL,
                    clock, scheduler);
            MeshState initial = MeshState.empty(clock.instant());
            this.push = new PushService(initial, metrics, clock);
            closeables.add(push);
            // The sources are ours to close from here on, also when the start fails before they start.
            closeables.addAll(options.sources());
            this.builder = new MeshBuilder(options.sources(), metrics, initial);
            this.publisher = new DebouncedPublisher(options.quiet(), options.maxDelay(), clock, scheduler, initial,
                    push::publish);
            CaService caService = new CaService(ca.ca(), ca::roots, options.credentials(), options.certificateTtl(),
                    metrics);
            ServerServiceDefinition.Builder service = ServerServiceDefinition.builder(MeshProtocol.SERVICE);
            push.addTo(service);
            caService.addTo(service);
            SslContext tls = serverTls(identity, bundle, clock);
            Server grpcBuilt = NettyServerBuilder.forAddress(options.listen())
                    .sslContext(tls)
                    .addService(ServerInterceptors.intercept(service.build(), Peer.interceptor(() -> bundle, clock)))
                    .permitKeepAliveTime(5, TimeUnit.SECONDS)
                    // Streams move between replicas now and then (gRPC adds ±10 % jitter), so a new replica gets
                    // its share; the grace lets a push in flight finish.
                    .maxConnectionAge(30, TimeUnit.MINUTES)
                    .maxConnectionAgeGrace(30, TimeUnit.SECONDS)
                    .permitKeepAliveWithoutCalls(true)
                    .keepAliveTime(30, TimeUnit.SECONDS)
                    .build();
            try {
                grpcStarted = grpcBuilt.start();
            } catch (IOException e) {
                throw ListenFailure.of("push", options.listen(), e);
            }
            // Both ports before any source starts: a port that cannot be had stops the start with nothing running.
            MeshScraper scraper = new MeshScraper(options.dashboard(), push::proxiesAndGone, push::published, metrics,
                    clock);
            closeables.add(scraper);
            adminStarted = new AdminServer(options.admin(), metrics, push, () -> ready && push.live(), scraper::data,
                    new ClientGate(options.dashboard().maxClients(), metrics));
            scraper.start();
            // Sources start once the push side exists: their first content is the first mesh.
            for (MeshSource source : options.sources()) {
                source.start(content -> {
                    // Built and handed on under one lock: two sources' states reach the publisher in the order
                    // built.
                    synchronized (builder) {
                        builder.update(content).ifPresent(publisher::changed);
                    }
                });
            }
            this.grpc = grpcStarted;
            this.admin = adminStarted;
            this.port = grpc.getPort();
            ready = true;
            Log.info("control_plane_ready", "listen", options.listen().getHostString() + ":" + grpc.getPort(),
                    "admin", options.admin().getHostString() + ":" + admin.port(),
                    "spiffe_id", identity.id().toString(), "trust_domain", ca.ca().trustDomain(),
                    "mesh_version", builder.state().version(),
                    "sources", String.join(",", options.sources().stream().map(MeshSource::name).toList()));
        } catch (IOException | RuntimeException | Error e) {
            // Whatever had started is stopped, so a failed start leaves no port bound and no thread running.
            if (adminStarted != null) {
                adminStarted.close();
            }
            if (grpcStarted != null) {
                grpcStarted.shutdownNow();
            }
            closeAll();
            scheduler.shutdownNow();
            if (grpcStarted != null) {
                awaitTermination(grpcStarted);
            }
            throw e;
        }
    }

    /**
     * Starts the control plane: loads (or creates) the CA, binds the push and admin ports, starts the sources.
     *
     * @throws ListenFailure        when the push ({@code --listen}) or admin port cannot be bound; nothing is left
     *                              running
     * @throws UncheckedIOException when the CA directory cannot be read or written
     */
    public static ControlPlaneServer start(Options options) {
        try {
            return new ControlPlaneServer(options);
        } catch (IOException e) {
            throw new UncheckedIOException("control plane: " + e.getMessage(), e);
        }
    }

    private static SslContext serverTls(ServingIdentity identity, TrustBundle bundle, Clock clock) throws SSLException {
        SslProvider provider = OpenSsl.isAvailable() ? SslProvider.OPENSSL : SslProvider.JDK;
        SslContextBuilder b = SslContextBuilder.forServer(new io.netty.handler.ssl.util.SimpleKeyManagerFactory() {
                    @Override
                    protected void engineInit(java.security.KeyStore keyStore, char[] chars) {
                    }

                    @Override
                    protected void engineInit(javax.net.ssl.ManagerFactoryParameters params) {
                    }

                    @Override
                    protected javax.net.ssl.KeyManager[] engineGetKeyManagers() {
                        return new javax.net.ssl.KeyManager[] {identity};
                    }
                })
                // Any client chain passes the handshake; Peer checks it per call against the bundle, so a refused
                // certificate is answered with its reason instead of a bare TLS alert.
                .trustManager(new AnyClientChain())
                .clientAuth(ClientAuth.OPTIONAL)
                .protocols("TLSv1.3");
        return GrpcSslContexts.configure(b, provider).build();
    }

    public int port() {
        return port;
    }

    public int adminPort() {
        return admin.port();
    }

    public ControlPlaneMetrics metrics() {
        return metrics;
    }

    /** The newest mesh state built (pushed once the debounce lets it through). */
    public MeshState mesh() {
        return builder.state();
    }

    public List<PushService.ProxyStatus> proxies() {
        return push.proxies();
    }

    private void closeAll() {
        for (AutoCloseable c : closeables) {
            try {
                c.close();
            } catch (Exception e) {
                Log.warn("close_failed", "what", c.toString(), "error", e.toString());
            }
        }
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        ready = false;
        admin.close();
        grpc.shutdownNow();
        closeAll();
        scheduler.shutdownNow();
        awaitTermination(grpc);
        Log.info("control_plane_stopped", "port", String.valueOf(port));
    }

    /** Waits (a bounded time) until the push port is closed and its calls are done. */
    private static void awaitTermination(Server grpc) {
        try {
            grpc.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
