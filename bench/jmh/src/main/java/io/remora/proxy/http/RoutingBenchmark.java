package io.remora.proxy.http;

import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import io.remora.bench.jmh.BenchMesh;
import io.remora.proxy.ProxyContext;
import io.remora.proxy.route.RouteDecision;
import io.remora.proxy.route.RouteMatch;
import io.remora.proxy.route.RouteTable;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import java.util.concurrent.TimeUnit;

/**
 * Routing one request head to its rule: {@link #match} is the table alone (service by {@code Host}, then the first
 * matching rule of its Route, then the backend of a weighted split); {@link #route} is {@link Router#route} as the
 * exchange calls it on the capture listener (destination, rule, the decision it returns). One request per rule kind
 * of {@link BenchMesh}'s Route, each reaching its rule after failing every rule before it ({@code split}, the last,
 * after failing all four others). The head is not edited, so one serves every call.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class RoutingBenchmark {
    @Param({"exact", "prefix", "regex", "header", "split"})
    public String rule;

    private RouteTable table;
    private ProxyContext pc;
    private StreamExchanges owner;
    private HttpRequest request;

    @Setup
    public void setUp() {
        BenchMesh mesh = BenchMesh.create();
        table = mesh.routes();
        pc = mesh.context();
        owner = BenchStreams.outbound(mesh);
        request = request(rule);
        RouteMatch m = match();
        if (m == null || !m.ruleName().equals(rule)) {
            throw new IllegalStateException("the " + rule + " request matched " + m + ": the benchmark measures"
                    + " another path than it says");
        }
        if (!(route() instanceof RouteDecision.Upstream)) {
            throw new IllegalStateException("the " + rule + " request is not routed upstream: " + route());
        }
    }

    @Benchmark
    public RouteMatch match() {
        return table.byAuthority(request.headers().get(HttpHeaderNames.HOST))
                .match(request.method().name(), request.uri(), request.headers());
    }

    @Benchmark
    public RouteDecision route() {
        return Router.route(pc, owner, request);
    }

    /** A request head that the Route's rule {@code rule} is the first to match. */
    private static HttpRequest request(String rule) {
        HttpMethod method = HttpMethod.GET;
        String uri = "/reviews/12345?limit=10";
        HttpHeaders h = DefaultHttpHeadersFactory.headersFactory().newHeaders()
                .add(HttpHeaderNames.HOST, BenchMesh.ROUTED_HOST)
                .add(HttpHeaderNames.USER_AGENT, "okhttp/4.12.0")
                .add(HttpHeaderNames.ACCEPT, "application/json")
                .add("x-tenant", "silver");
        switch (rule) {
            case "exact":
                method = HttpMethod.POST;
                uri = "/reviews/admin";
                break;
            case "prefix":
                uri = "/api/v3/reviews?limit=10";
                break;
            case "regex":
                uri = "/reviews/12345/ratings?limit=10";
                break;
            case "header":
                // The rule's first match (x-tenant: gold) fails, its second (x-plan: premium-*) matches.
                h.add("x-plan", "premium-annual");
                break;
            case "split":
                break;
            default:
                throw new IllegalArgumentException("no request for rule " + rule);
        }
        return new DefaultHttpRequest(HttpVersion.HTTP_1_1, method, uri, h);
    }
}
