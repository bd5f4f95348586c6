package io.remora.bench.jmh;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.remora.config.HostPort;
import io.remora.config.Snapshot;
import io.remora.config.testing.TestMesh;
import io.remora.log.JsonWriter;
import io.remora.proxy.ProxyContext;
import io.remora.proxy.Transport;
import io.remora.proxy.listener.ConnectionInfo;
import io.remora.proxy.listener.ListenerSpec;
import io.remora.proxy.log.AccessLog;
import io.remora.proxy.metrics.ProxyMetrics;
import io.remora.proxy.route.RouteTable;

import java.io.OutputStream;
import java.net.InetSocketAddress;

/**
 * The mesh every benchmark runs in, as one sidecar sees it: the app {@code web.shop} calling out through the capture
 * listener into six services, one of which ({@code reviews.shop}) has a Route with one rule of each kind the proxy
 * matches (exact path and method, path prefix, path regex, headers, and a weighted split that takes the rest). Built
 * once per benchmark trial, as a snapshot is applied once and then serves every request.
 */
public final class BenchMesh {
    /** The service whose Route the routing benchmarks match against. */
    public static final String ROUTED_HOST = "reviews.shop:9080";
    /** The app's address as the capture listener sees its connection. */
    public static final InetSocketAddress APP = new InetSocketAddress("10.1.0.7", 43_210);

    private final Snapshot snapshot;
    private final RouteTable routes;
    private final ProxyContext context;
    private final ListenerSpec capture;
    private final ConnectionInfo appConnection;

    private BenchMesh() {
        snapshot = mesh().snapshot();
        routes = RouteTable.build(snapshot);
        context = new ProxyContext(snapshot.sidecarOrDefault(), Transport.best(),
                new ProxyMetrics(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), "web", "shop"),
                new AccessLog(new JsonWriter(OutputStream.nullOutputStream()), false), routes,
                new DefaultChannelGroup(GlobalEventExecutor.INSTANCE));
        capture = new ListenerSpec.Capture(HostPort.parse("127.0.0.1:15001"));
        appConnection = new ConnectionInfo(new InetSocketAddress("10.96.0.12", 9080), APP, null, null);
    }

    /** A new proxy context over the mesh, with its own meter registry. */
    public static BenchMesh create() {
        return new BenchMesh();
    }

    public Snapshot snapshot() {
        return snapshot;
    }

    /** The routing table built from the snapshot (the one {@link #context()} routes with). */
    public RouteTable routes() {
        return routes;
    }

    /** What every handler of the sidecar shares: routes, metrics (Prometheus), access log off, tracing off. */
    public ProxyContext context() {
        return context;
    }

    /** The listener an app's calls arrive on. */
    public ListenerSpec capture() {
        return capture;
    }

    /** The app's plaintext connection through the capture listener (to reviews' service address). */
    public ConnectionInfo appConnection() {
        return appConnection;
    }

    private static TestMesh mesh() {
        TestMesh mesh = TestMesh.of(TestMesh.sidecar("web", "shop").capture("127.0.0.1:15001"));
        String[] names = {"productpage", "reviews", "ratings", "details", "payments", "cart"};
        for (int s = 0; s < names.length; s++) {
            TestMesh.ServiceDoc service = TestMesh.service(names[s], "shop").protocol("http")
                    .hosts(names[s] + ".shop.example").addresses("10.96.0." + (10 + s) + ":9080");
            for (int e = 0; e < 6; e++) {
                String version = "v" + (1 + e % 3);
                service.endpoint("10.1." + (10 + s) + "." + (10 + e) + ":9080",
                        f -> f.set("labels", "{version: " + version + "}"));
            }
            for (String version : new String[] {"v1", "v2", "v3"}) {
                service.subset(version, "{version: " + version + "}");
            }
            mesh = mesh.and(service);
        }
        return mesh.and(TestMesh.route("reviews", "shop").services("reviews.shop")
                .rule(r -> r.name("exact").match("{path: {exact: /reviews/admin}, method: POST}")
                        .backend("reviews.shop", "v1"))
                .rule(r -> r.name("prefix").match("{path: {prefix: /api/v3/}}").backend("reviews.shop", "v3"))
                .rule(r -> r.name("regex").match("{path: {regex: \"/reviews/[0-9]+/ratings\"}}")
                        .backend("reviews.shop", "v2"))
                .rule(r -> r.name("header").match("{headers: {x-tenant: {exact: gold}}}")
                        .match("{headers: {x-plan: {prefix: premium-}}}").backend("reviews.shop", "v3"))
                .rule(r -> r.name("split").backend("reviews.shop", "v1", 90).backend("reviews.shop", "v2", 10)),
                TestMesh.route("ratings", "shop").services("ratings.shop")
                        .rule(r -> r.name("api").match("{path: {prefix: /api/}}").backend("ratings.shop", "v1")));
    }
}
