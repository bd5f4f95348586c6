package io.remora.proxy.route;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import io.remora.config.HostPort;
import io.remora.config.LoadBalancer;
import io.remora.config.Metadata;
import io.remora.config.Protocol;
import io.remora.config.Route;
import io.remora.config.Service;
import io.remora.config.Snapshot;
import io.remora.proxy.cluster.Cluster;
import io.remora.proxy.metrics.ProxyMetrics;
import io.remora.proxy.metrics.Reporter;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The per-request lookups (service by authority and address, rule match, a regular expression's included, backend
 * split, endpoint pick, meter lookup) allocate nothing. Measured with the JVM's per-thread allocation counter over many calls: any allocation
 * per call would add at least 16 bytes each time.
 */
class HotPathAllocationTest {
    private static final int CALLS = 200_000;
    /** Far below one object per call; leaves room for the measurement itself and one-off JIT activity. */
    private static final long ALLOWED_BYTES = 64 * 1024;

    private static com.sun.management.ThreadMXBean threads;

    @BeforeAll
    static void allocationCounter() {
        assertThat(ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean)
                .as("per-thread allocation counter available on this JVM").isTrue();
        threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        assertThat(threads.isThreadAllocatedMemorySupported() && threads.isThreadAllocatedMemoryEnabled())
                .as("per-thread allocation counting enabled").isTrue();
    }

    private static Service service(String name, LoadBalancer lb, List<String> hosts, List<String> vips) {
        List<Service.Endpoint> endpoints = List.of(
                new Service.Endpoint(HostPort.parse("10.0.0.1:80"), Map.of("v", "1"), 1, null),
                new Service.Endpoint(HostPort.parse("10.0.0.2:80"), Map.of("v", "2"), 3, null),
                new Service.Endpoint(HostPort.parse("10.0.0.3:80"), Map.of("v", "2"), 1, null));
        return new Service(Metadata.of(name, "shop"), new Service.Spec(hosts,
                vips.stream().map(HostPort::parse).toList(), Protocol.HTTP, endpoints,
                List.of(new Service.Subset("v1", Map.of("v", "1")), new Service.Subset("v2", Map.of("v", "2"))),
                new Service.TrafficPolicy(lb, null, null)));
    }

    private static final Route ROUTE = new Route(Metadata.of("payments", "shop"), new Route.Spec(
            List.of("payments.shop"), List.of(
            new Route.Rule("admin", List.of(new Route.Match(Route.StringMatch.exact("/admin"), "POST", Map.of())),
                    List.of(new Route.Backend("payments.shop", "v1", 1))),
            new Route.Rule("canary", List.of(new Route.Match(Route.StringMatch.prefix("/api/"), null,
                    Map.of("x-canary", Route.StringMatch.exact("true")))),
                    List.of(new Route.Backend("payments.shop", "v2", 1))),
            new Route.Rule("search", List.of(new Route.Match(Route.StringMatch.regex("/search/[0-9]+"), null,
                    Map.of())), List.of(new Route.Backend("payments.shop", "v2", 1))),
            new Route.Rule("split", List.of(new Route.Match(Route.StringMatch.prefix("/"), null, Map.of())),
                    List.of(new Route.Backend("payments.shop", "v1", 90),
                            new Route.Backend("payments.shop", "v2", 10))))));

    @Test
    void routingPickingAndMeterLookupAllocateNothing() {
        RouteTable table = RouteTable.build(new Snapshot("v1", null,
                List.of(service("payments", LoadBalancer.LEAST_REQUEST, List.of("pay.example.com"),
                                List.of("10.96.0.10:80")),
                        service("reviews", LoadBalancer.ROUND_ROBIN, List.of(), List.of())),
                List.of(ROUTE)));
        HttpHeaders headers = new DefaultHttpHeaders().add("X-Canary", "true").add("user-agent", "test");
        InetSocketAddress vip = new InetSocketAddress("10.96.0.10", 80);
        ProxyMetrics metrics = new ProxyMetrics(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), "web",
                "shop");
        Cluster roundRobin = table.byKey("reviews.shop").defaultCluster();

        Runnable request = () -> {
            ServiceRoutes byHost = table.byAuthority("Pay.Example.com:8080");
            ServiceRoutes byVip = table.byAddress(vip);
            RouteMatch admin = byHost.match("POST", "/admin?x=1", headers);
            RouteMatch canary = byVip.match("GET", "/api/orders", headers);
            RouteMatch split = byHost.match("GET", "/checkout?step=2", headers); // fails the regex rule first
            RouteMatch search = byHost.match("GET", "/search/42?q=shoes", headers);
            if (!"search".equals(search.ruleName()) || !"split".equals(split.ruleName())) {
                throw new AssertionError("the regex rule matched /search/42 before its query, and only that");
            }
            admin.cluster().pick().requestStarted();
            canary.cluster().pick(admin.cluster().endpoints().get(0)).requestFinished();
            split.cluster().pick();
            roundRobin.pick();
            metrics.request(Reporter.SOURCE, byHost.serviceKey(), "http", 200, "", "-");
            metrics.tcp(Reporter.DESTINATION, byVip.serviceKey());
        };
        for (int i = 0; i < CALLS; i++) { // warm up: meters created, code compiled
            request.run();
        }
        long threadId = Thread.currentThread().getId();
        long before = threads.getThreadAllocatedBytes(threadId);
        for (int i = 0; i < CALLS; i++) {
            request.run();
        }
        long allocated = threads.getThreadAllocatedBytes(threadId) - before;
        assertThat(allocated).as("bytes allocated by %d routed requests", CALLS).isLessThan(ALLOWED_BYTES);
    }
}
