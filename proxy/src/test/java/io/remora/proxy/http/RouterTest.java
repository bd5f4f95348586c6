package io.remora.proxy.http;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.remora.config.HostPort;
import io.remora.config.Snapshot;
import io.remora.config.testing.TestMesh;
import io.remora.log.JsonWriter;
import io.remora.proxy.ProxyContext;
import io.remora.proxy.Transport;
import io.remora.proxy.listener.ListenerSpec;
import io.remora.proxy.log.AccessLog;
import io.remora.proxy.metrics.ProxyMetrics;
import io.remora.proxy.route.Destination;
import io.remora.proxy.route.RouteDecision;
import io.remora.proxy.route.RouteTable;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;

import static org.assertj.core.api.Assertions.assertThat;

/** The router as a function: a request and its connection in, a decision out; the exchange is not involved. */
class RouterTest {
    private static final TestMesh MESH = TestMesh.of(TestMesh.sidecar("w", "t"),
            TestMesh.service("api", "t").hosts("api.example").endpoint("127.0.0.1:9"),
            TestMesh.service("empty", "t"),
            TestMesh.route("api", "t").services("api.t")
                    .rule(r -> r.name("v1").match("{path: {prefix: /v1}}").backend("api.t")));

    private final ProxyContext pc;

    RouterTest() throws Exception {
        Snapshot snapshot = MESH.snapshot();
        pc = new ProxyContext(snapshot.sidecarOrDefault(), Transport.best(),
                new ProxyMetrics(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), "w", "t"),
                new AccessLog(new JsonWriter(new ByteArrayOutputStream()), false), RouteTable.build(snapshot),
                new DefaultChannelGroup(GlobalEventExecutor.INSTANCE));
    }

    private static HttpRequest get(String uri, String host) {
        HttpRequest req = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, uri);
        if (host != null) {
            req.headers().set("host", host);
        }
        return req;
    }

    private static Router.Request explicit(String service) {
        return new Router.Values(ListenerSpec.explicit(new HostPort("127.0.0.1", 0), service), null, null, null,
                null, null);
    }

    @Test
    void aRoutedRequestGetsTheDecisionBuiltWithTheTableTheSameForEveryRequest() {
        RouteDecision first = Router.route(pc, explicit("api.t"), get("/v1/items", "x"));
        assertThat(first).isInstanceOfSatisfying(RouteDecision.Upstream.class, u -> {
            assertThat(u.destinationService()).isEqualTo("api.t");
            assertThat(u.routeName()).isEqualTo("api/v1");
            assertThat(u.clusterName()).isEqualTo("api.t");
            assertThat(u.cluster()).isNotNull();
            assertThat(u.address()).isNull();
        });
        assertThat(Router.route(pc, explicit("api.t"), get("/v1/other", "x"))).isSameAs(first);
    }

    @Test
    void whatCannotBeRoutedIsALocalAnswerNamingWhy() {
        assertThat(Router.route(pc, explicit("api.t"), get("/v2", "x"))).isInstanceOfSatisfying(
                RouteDecision.LocalAnswer.class, a -> {
                    assertThat(a.status()).isEqualTo(HttpResponseStatus.NOT_FOUND);
                    assertThat(a.flags()).isEqualTo("NR");
                    assertThat(a.destinationService()).isEqualTo("api.t");
                    assertThat(a.message()).contains("no route rule of api.t matches GET /v2");
                });
        assertThat(Router.route(pc, explicit("gone.t"), get("/", "x"))).isInstanceOfSatisfying(
                RouteDecision.LocalAnswer.class, a -> assertThat(a.destinationService()).isEqualTo("unknown"));
        assertThat(Router.route(pc, explicit("empty.t"), get("/", "x"))).isInstanceOfSatisfying(
                RouteDecision.LocalAnswer.class, a -> {
                    assertThat(a.status()).isEqualTo(HttpResponseStatus.SERVICE_UNAVAILABLE);
                    assertThat(a.flags()).isEqualTo("UH");
                });
    }

    @Test
    void capturedTrafficIsRoutedByHostThenByOriginalDestinationElsePassedThrough() {
        ListenerSpec capture = ListenerSpec.capture(new HostPort("127.0.0.1", 0));
        InetSocketAddress unknown = new InetSocketAddress("192.0.2.7", 8080);
        assertThat(Router.route(pc, new Router.Values(capture, unknown, null, null, null, null),
                get("/v1/x", "api.example:80"))).isInstanceOfSatisfying(RouteDecision.Upstream.class,
                u -> assertThat(u.destinationService()).isEqualTo("api.t"));
        assertThat(Router.route(pc, new Router.Values(capture, unknown, null, null, null, null),
                get("/", "elsewhere"))).isInstanceOfSatisfying(RouteDecision.Upstream.class, u -> {
                    assertThat(u.destinationService()).isEqualTo(Destination.Passthrough.CLUSTER);
                    assertThat(u.address()).isEqualTo(unknown);
                    assertThat(u.cluster()).isNull();
                });
    }
}
